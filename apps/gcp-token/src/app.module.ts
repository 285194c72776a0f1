import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppConfigModule } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { RateLimitModule } from '@auth-platform/rate-limit';
import { type GcpTokenEnv, gcpTokenEnv } from './config/env';
import { StatusController } from './status/status.controller';
import { TokenModule } from './token/token.module';

@Module({
  imports: [
    AppConfigModule.forRoot(gcpTokenEnv),
    // The seed's own /health (with request statistics) replaces the generic details route.
    HealthModule.forRoot({ details: false, aliases: { live: ['liveness'], ready: ['readiness'] } }),
    RateLimitModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<GcpTokenEnv, true>) => ({
        redisUrl: config.get('REDIS_URL', { infer: true }),
        keyPrefix: 'gcp-token',
        onRedisFailure: 'memory',
        limiters: {
          token: { algorithm: 'fixed-window', limit: config.get('TOKEN_RATE_LIMIT_PER_MINUTE', { infer: true }), windowMs: 60_000 },
        },
      }),
    }),
    TokenModule,
  ],
  controllers: [StatusController],
})
export class AppModule {}
