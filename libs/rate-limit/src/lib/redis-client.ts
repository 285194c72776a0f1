import Redis from 'ioredis';

export interface LimiterRedisOptions {
  /** A decision waits at most this long for Redis before the failure policy applies (default 250 ms). */
  readonly commandTimeoutMs?: number;
}

/**
 * An ioredis client tuned for limiting: fail fast instead of queueing while disconnected, never retry a
 * command (the failure policy decides instead), and keep reconnecting in the background.
 */
export function createLimiterRedisClient(url: string, options: LimiterRedisOptions = {}): Redis {
  return new Redis(url, {
    commandTimeout: options.commandTimeoutMs ?? 250,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    lazyConnect: false,
  });
}
