import { Module } from '@nestjs/common';
import { ManagedKeysModule } from '@auth-platform/api-keys-client';
import { ApiKeyAuthenticator } from '../auth/api-key.authenticator';
import { GoogleTokenMinter } from './google-token.minter';
import { TokenRoute } from './token.route';
import { TokenService } from './token.service';

@Module({
  imports: [ManagedKeysModule.forRoot()],
  providers: [TokenService, GoogleTokenMinter, ApiKeyAuthenticator, TokenRoute],
  exports: [TokenService],
})
export class TokenModule {}
