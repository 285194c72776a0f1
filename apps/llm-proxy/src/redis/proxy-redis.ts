import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type Redis from 'ioredis';
import { createLimiterRedisClient } from '@auth-platform/rate-limit';
import type { LlmProxyEnv } from '../config/env';

/**
 * The proxy's own Redis connection, for nonces and usage (the limiter keeps its own). Same client settings as the
 * limiter: commands fail fast while Redis is away instead of queueing, and callers fall back to memory.
 */
@Injectable()
export class ProxyRedis implements OnApplicationShutdown {
  readonly client?: Redis;
  readonly keyPrefix: string;

  constructor(config: ConfigService<LlmProxyEnv, true>) {
    this.keyPrefix = config.get('API_KEY_SERVER_REDIS_PREFIX', { infer: true });
    const url = config.get('API_KEY_SERVER_REDIS_URL', { infer: true });
    if (url) {
      this.client = createLimiterRedisClient(url);
      // Failures surface as fallbacks where the client is used; this keeps ioredis from reporting them unhandled.
      this.client.on('error', () => undefined);
    }
  }

  /** Connected and accepting commands now; otherwise callers use their memory fallback without waiting. */
  get available(): Redis | undefined {
    return this.client?.status === 'ready' ? this.client : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    const client = this.client;
    if (client) await client.quit().catch(() => client.disconnect());
  }
}
