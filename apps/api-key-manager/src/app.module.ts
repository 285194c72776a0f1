import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppConfigModule } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { RateLimitModule } from '@auth-platform/rate-limit';
import { type ApiKeyManagerEnv, apiKeyManagerEnv } from './config/env';
import { KeysModule } from './keys/keys.module';
import { SasModule } from './sas/sas.module';
import { StorageModule } from './storage/storage.module';
import { UsageModule } from './usage/usage.module';
import { VerificationModule } from './verification/verification.module';

@Module({
  imports: [
    AppConfigModule.forRoot(apiKeyManagerEnv),
    HealthModule.forRoot(),
    RateLimitModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<ApiKeyManagerEnv, true>) => ({
        redisUrl: config.get('REDIS_URL', { infer: true }),
        keyPrefix: 'api-key-manager',
        onRedisFailure: 'memory',
        limiters: {
          sas: {
            algorithm: 'fixed-window',
            limit: config.get('RATE_LIMIT_REQUESTS', { infer: true }),
            windowMs: config.get('RATE_LIMIT_WINDOW_MS', { infer: true }),
          },
        },
      }),
    }),
    StorageModule,
    KeysModule,
    VerificationModule,
    UsageModule,
    SasModule,
  ],
})
export class AppModule {}
