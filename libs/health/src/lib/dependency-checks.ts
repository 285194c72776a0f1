import type { DependencyCheck } from './readiness-registry';

/** Anything with ioredis's ping(). */
export interface Pingable {
  ping(): Promise<unknown>;
}

/** Anything with pg's query(), a Pool or a Client. */
export interface Queryable {
  query(sql: string): Promise<unknown>;
}

function elapsedSince(start: bigint): number {
  return Number((process.hrtime.bigint() - start) / 1_000_000n);
}

export function redisCheck(client: Pingable): DependencyCheck {
  return async () => {
    const start = process.hrtime.bigint();
    const reply = await client.ping();
    if (reply !== 'PONG') throw new Error('Redis did not answer PING');
    return { latency_ms: elapsedSince(start) };
  };
}

export function postgresCheck(client: Queryable): DependencyCheck {
  return async () => {
    const start = process.hrtime.bigint();
    await client.query('SELECT 1');
    return { latency_ms: elapsedSince(start) };
  };
}

/** Up when the endpoint answers with a status below 500 (a 401 or 404 still proves it is there). */
export function httpCheck(url: string, options: { method?: string; healthyStatus?: (status: number) => boolean } = {}): DependencyCheck {
  const healthy = options.healthyStatus ?? ((status: number) => status < 500);
  return async (signal) => {
    const start = process.hrtime.bigint();
    const response = await fetch(url, { method: options.method ?? 'GET', signal, redirect: 'manual' });
    await response.body?.cancel();
    if (!healthy(response.status)) throw new Error(`answered HTTP ${response.status}`);
    return { latency_ms: elapsedSince(start), status_code: response.status };
  };
}
