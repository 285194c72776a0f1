import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { IdentityProviderModule } from '../identity-provider/identity-provider.module';
import { TokenCipher } from './token-cipher';
import { TokenDigest } from './token-digest';
import { TokenValidationService } from './token-validation.service';
import { TokenVaultService } from './token-vault.service';
import { TokenVaultStore, TypeormTokenVaultStore } from './token-vault.store';
import { VaultController } from './vault.controller';

@Module({
  imports: [IdentityProviderModule],
  controllers: [VaultController],
  providers: [
    TokenVaultService,
    TokenValidationService,
    TokenCipher,
    TokenDigest,
    ApiKeyGuard,
    { provide: TokenVaultStore, useClass: TypeormTokenVaultStore },
  ],
  exports: [TokenVaultService, TokenVaultStore, TokenCipher, ApiKeyGuard],
})
export class VaultModule {}
