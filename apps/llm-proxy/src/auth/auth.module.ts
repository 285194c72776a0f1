import { Module } from '@nestjs/common';
import { ManagedKeysModule } from '@auth-platform/api-keys-client';
import { SignedBodyCapture } from './signed-body.recorder';
import { ClientAuthGuard } from './client-auth.guard';
import { ClientAuthenticator } from './client-authenticator.service';
import { ClientJwtVerifier } from './client-jwt.verifier';
import { NonceStore } from './nonce.store';
import { SignedRequestVerifier } from './signed-request.verifier';

@Module({
  imports: [ManagedKeysModule.forRoot()],
  providers: [
    SignedBodyCapture,
    ClientJwtVerifier,
    SignedRequestVerifier,
    NonceStore,
    ClientAuthenticator,
    ClientAuthGuard,
  ],
  exports: [ClientAuthenticator, ClientAuthGuard],
})
export class AuthModule {}
