import { Module } from '@nestjs/common';
import { IdentityProviderModule } from '../identity-provider/identity-provider.module';
import { VaultModule } from '../vault/vault.module';
import { KeycloakAdminClient } from './keycloak-admin.client';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

@Module({
  imports: [IdentityProviderModule, VaultModule],
  controllers: [SessionsController],
  providers: [SessionsService, KeycloakAdminClient],
})
export class SessionsModule {}
