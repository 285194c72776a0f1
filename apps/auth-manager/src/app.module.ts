import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppConfigModule } from '@auth-platform/config';
import { CryptoModule, type CryptoModuleOptions, keyringFromHex } from '@auth-platform/crypto';
import { HealthModule } from '@auth-platform/health';
import { type AuthManagerEnv, authManagerEnv } from './config/env';
import { DatabaseModule } from './database/database.module';
import { IdentityProviderModule } from './identity-provider/identity-provider.module';
import { OfflineModule } from './offline/offline.module';
import { SessionsModule } from './sessions/sessions.module';
import { StatusController } from './status/status.controller';
import { VaultModule } from './vault/vault.module';
import { AUTH_MANAGER_VERSION } from './version';

/** The vault keyring (current key plus previous ones) and the state-token signer, from the validated env. */
export function cryptoOptions(config: ConfigService<AuthManagerEnv, true>): CryptoModuleOptions {
  const key = config.get('AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY', { infer: true });
  return {
    keyring: key
      ? keyringFromHex(key, config.get('AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS', { infer: true }))
      : undefined,
    stateTokenSecret: config.get('STATE_TOKEN_SECRET', { infer: true }),
  };
}

@Module({
  imports: [
    AppConfigModule.forRoot(authManagerEnv),
    // The seed's /health is its own (StatusController); the lib serves /health/live and /health/ready.
    HealthModule.forRoot({ details: false, version: AUTH_MANAGER_VERSION }),
    CryptoModule.forRootAsync({ global: true, inject: [ConfigService], useFactory: cryptoOptions }),
    DatabaseModule.forServer(),
    IdentityProviderModule,
    VaultModule,
    OfflineModule,
    SessionsModule,
  ],
  controllers: [StatusController],
})
export class AppModule {}
