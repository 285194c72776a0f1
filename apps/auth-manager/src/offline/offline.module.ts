import { Module } from '@nestjs/common';
import { IdentityProviderModule } from '../identity-provider/identity-provider.module';
import { VaultModule } from '../vault/vault.module';
import { OfflineAuthorizationService } from './offline-authorization.service';
import { OfflineController } from './offline.controller';

@Module({
  imports: [IdentityProviderModule, VaultModule],
  controllers: [OfflineController],
  providers: [OfflineAuthorizationService],
})
export class OfflineModule {}
