import { hash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ProxyRedis } from '../redis/proxy-redis';

const MEMORY_MAX_NONCES = 100_000;

function digest(value: string): string {
  return hash('sha256', value, 'base64url').slice(0, 22);
}

/**
 * Remembers HMAC nonces for the timestamp window, so a signed request is accepted once. With Redis, once across
 * every replica (SET NX); each replica also remembers locally, which covers the time Redis is away and a replay
 * right after it returns.
 */
@Injectable()
export class NonceStore {
  private readonly seen = new Map<string, number>();

  constructor(private readonly redis: ProxyRedis) {}

  /** True the first time a client uses a nonce within `ttlMs`, false for a replay. */
  async claim(clientId: string, nonce: string, ttlMs: number, now = Date.now()): Promise<boolean> {
    const key = `${digest(clientId)}:${digest(nonce)}`;
    const local = this.seen.get(key);
    if (local !== undefined && local > now) return false;
    this.remember(key, now + ttlMs);
    const client = this.redis.available;
    if (!client) return true;
    try {
      const reply = await client.set(`${this.redis.keyPrefix}:nonce:${key}`, '1', 'PX', ttlMs, 'NX');
      return reply === 'OK';
    } catch {
      return true;
    }
  }

  private remember(key: string, expiresAt: number): void {
    this.seen.delete(key);
    this.seen.set(key, expiresAt);
    if (this.seen.size > MEMORY_MAX_NONCES) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
