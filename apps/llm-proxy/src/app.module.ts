import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppConfigModule } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { RateLimitModule } from '@auth-platform/rate-limit';
import { ChatModule } from './chat/chat.module';
import { type LlmProxyEnv, llmProxyEnv } from './config/env';
import { ProductsModule } from './products/products.module';
import { ProxyRedisModule } from './redis/proxy-redis.module';
import { HealthzController } from './status/healthz.controller';

@Module({
  imports: [
    AppConfigModule.forRoot(llmProxyEnv),
    HealthModule.forRoot(),
    RateLimitModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<LlmProxyEnv, true>) => ({
        redisUrl: config.get('API_KEY_SERVER_REDIS_URL', { infer: true }),
        keyPrefix: config.get('API_KEY_SERVER_REDIS_PREFIX', { infer: true }),
        // The seed's behaviour: with Redis away, limits are decided in this process rather than refused.
        onRedisFailure: 'memory',
      }),
    }),
    ProxyRedisModule,
    ProductsModule,
    ChatModule,
  ],
  controllers: [HealthzController],
})
export class AppModule {}
