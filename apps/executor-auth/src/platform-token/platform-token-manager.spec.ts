import type { PlatformToken } from './platform-token';
import {
  PlatformTokenManager,
  type PlatformTokenManagerOptions,
  REJECTED_LOGIN_PAUSE_MS,
  UNAUTHORIZED_RELOGIN_INTERVAL_MS,
} from './platform-token-manager';
import { PlatformTokenErrorCode, PlatformTokenException } from './platform-token.exception';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const unavailable = () =>
  new PlatformTokenException(
    PlatformTokenErrorCode.LOGIN_UNAVAILABLE,
    'The platform login failed: the login API answered HTTP 503',
  );
const rejected = () =>
  new PlatformTokenException(
    PlatformTokenErrorCode.CREDENTIALS_REJECTED,
    'The platform rejected the login (HTTP 401): check API_AUTH_EMAIL and API_AUTH_PASSWORD',
  );

/**
 * A scripted login API: each call takes the next queued outcome, or waits on a deferred the test resolves.
 * Issued tokens are `t1`, `t2`... with the given lifetime from the (fake) clock.
 */
class ScriptedLogin {
  calls = 0;
  private readonly pending: Deferred<PlatformToken>[] = [];
  private readonly queue: (PlatformTokenException | 'ok' | 'wait')[] = [];
  lifetimeMs = HOUR;

  readonly login = (): Promise<PlatformToken> => {
    this.calls += 1;
    const next = this.queue.shift() ?? 'ok';
    if (next instanceof PlatformTokenException) return Promise.reject(next);
    if (next === 'wait') {
      const waiting = deferred<PlatformToken>();
      this.pending.push(waiting);
      return waiting.promise;
    }
    return Promise.resolve(this.token());
  };

  then(...outcomes: (PlatformTokenException | 'ok' | 'wait')[]): this {
    this.queue.push(...outcomes);
    return this;
  }

  /** Answers the oldest waiting login with a fresh token. */
  answer(): void {
    const waiting = this.pending.shift();
    if (!waiting) throw new Error('no login is waiting');
    waiting.resolve(this.token());
  }

  get waiting(): number {
    return this.pending.length;
  }

  private token(): PlatformToken {
    const now = Date.now();
    return {
      value: `t${this.calls}`,
      expiresAt: now + this.lifetimeMs,
      expirySource: 'jwt_exp',
      obtainedAt: now,
    };
  }
}

const flush = () => jest.advanceTimersByTimeAsync(0);

describe('PlatformTokenManager', () => {
  let script: ScriptedLogin;
  let sleeps: number[];
  let managers: PlatformTokenManager[];

  function manager(options: Partial<PlatformTokenManagerOptions> = {}): PlatformTokenManager {
    const created = new PlatformTokenManager({
      login: script.login,
      maxRetries: 3,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });
    managers.push(created);
    return created;
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: Date.UTC(2025, 0, 1, 12) });
    script = new ScriptedLogin();
    sleeps = [];
    managers = [];
  });
  afterEach(() => {
    managers.forEach((m) => m.stop());
    jest.useRealTimers();
  });

  it('logs in once for 1,000 concurrent callers on a cold token', async () => {
    script.then('wait');
    const tokens = manager();
    const callers = Array.from({ length: 1000 }, () => tokens.getToken());
    await flush();
    expect(script.calls).toBe(1);
    script.answer();
    expect(new Set(await Promise.all(callers))).toEqual(new Set(['t1']));
    expect(script.calls).toBe(1);
  });

  it('logs in once for 1,000 concurrent callers on an expired token (a refresh timer that never ran)', async () => {
    const tokens = manager();
    expect(await tokens.getToken()).toBe('t1');
    // Moves the clock without running timers, as after a suspended process.
    jest.setSystemTime(Date.now() + 2 * HOUR);
    script.then('wait');
    const callers = Array.from({ length: 1000 }, () => tokens.getToken());
    await flush();
    expect(script.calls).toBe(2);
    script.answer();
    expect(new Set(await Promise.all(callers))).toEqual(new Set(['t2']));
    expect(script.calls).toBe(2);
  });

  it('refreshes in the background ahead of expiry, within the jittered window', async () => {
    const tokens = manager({ random: () => 0.5 });
    tokens.start();
    await flush();
    expect(script.calls).toBe(1);
    // One hour token: lead 12 min, +10% jitter at random 0.5 = 13.2 min before expiry, i.e. after 46.8 min.
    await jest.advanceTimersByTimeAsync(46.8 * MINUTE - 1000);
    expect(script.calls).toBe(1);
    await jest.advanceTimersByTimeAsync(2000);
    expect(script.calls).toBe(2);
    expect(await tokens.getToken()).toBe('t2');
    expect(tokens.status()).toMatchObject({
      consecutive_failures: 0,
      last_error: null,
      token_expiry_source: 'jwt_exp',
    });
  });

  it('keeps serving the current token while the refresh is in flight: no caller waits', async () => {
    const tokens = manager({ random: () => 0 });
    tokens.start();
    await flush();
    script.then('wait');
    await jest.advanceTimersByTimeAsync(48 * MINUTE);
    expect(script.calls).toBe(2);
    expect(script.waiting).toBe(1);
    const during = await Promise.all(Array.from({ length: 100 }, () => tokens.getToken()));
    expect(new Set(during)).toEqual(new Set(['t1']));
    expect(tokens.status().login_in_flight).toBe(true);
    script.answer();
    await flush();
    expect(await tokens.getToken()).toBe('t2');
  });

  it('retries a failing login with exponential backoff and full jitter, then succeeds', async () => {
    script.then(unavailable(), unavailable(), unavailable(), 'ok');
    const failures: number[] = [];
    const tokens = manager({
      random: () => 0.999,
      events: { loginFailed: (_f, attempt) => failures.push(attempt) },
    });
    expect(await tokens.getToken()).toBe('t4');
    expect(script.calls).toBe(4);
    expect(sleeps).toEqual([249, 499, 999]);
    expect(failures).toEqual([1, 2, 3]);
  });

  it('gives up after API_EXECUTOR_MAX_RETRIES, answers callers at once until the pause is over, and retries in the background', async () => {
    script.then(unavailable(), unavailable(), unavailable(), 'wait');
    const tokens = manager({ maxRetries: 2 });
    await expect(tokens.getToken()).rejects.toMatchObject({
      code: PlatformTokenErrorCode.LOGIN_UNAVAILABLE,
      retryAt: expect.any(Number),
    });
    expect(script.calls).toBe(3);
    await expect(tokens.getToken()).rejects.toThrow('the login API answered HTTP 503');
    expect(script.calls).toBe(3);
    await expect(tokens.checkReadiness(new AbortController().signal)).rejects.toThrow(
      /HTTP 503 \(1 consecutive failure; last refresh: never\)/,
    );
    // The background retry comes after 1.5 s at random 0.5 (between 1 and 2 s after the first failure).
    await jest.advanceTimersByTimeAsync(2000);
    expect(script.calls).toBe(4);
    // While that retry is in flight, callers still get the last failure at once rather than queueing.
    await expect(tokens.getToken()).rejects.toThrow('the login API answered HTTP 503');
    await expect(tokens.checkReadiness(new AbortController().signal)).rejects.toThrow('HTTP 503');
    script.answer();
    await flush();
    expect(await tokens.getToken()).toBe('t4');
    await expect(tokens.checkReadiness(new AbortController().signal)).resolves.toMatchObject({
      consecutive_failures: 0,
    });
  });

  it('does not retry a rejected password, reports it, and tries again only when a caller asks after the pause', async () => {
    script.then(rejected());
    const tokens = manager();
    tokens.start();
    await flush();
    expect(script.calls).toBe(1);
    expect(sleeps).toEqual([]);
    for (let i = 0; i < 5; i++)
      await expect(tokens.getToken()).rejects.toThrow('check API_AUTH_EMAIL and API_AUTH_PASSWORD');
    await expect(tokens.checkReadiness(new AbortController().signal)).rejects.toThrow(
      'check API_AUTH_EMAIL and API_AUTH_PASSWORD',
    );
    await jest.advanceTimersByTimeAsync(REJECTED_LOGIN_PAUSE_MS + 10 * MINUTE);
    expect(script.calls).toBe(1);
    expect(await tokens.getToken()).toBe('t2');
    expect(script.calls).toBe(2);
  });

  it('keeps a still-valid token when its refresh is rejected, without trying the password again on every call', async () => {
    const tokens = manager({ random: () => 0 });
    tokens.start();
    await flush();
    script.then(rejected());
    await jest.advanceTimersByTimeAsync(48 * MINUTE);
    expect(script.calls).toBe(2);
    for (let i = 0; i < 20; i++) expect(await tokens.getToken()).toBe('t1');
    expect(script.calls).toBe(2);
    await expect(tokens.checkReadiness(new AbortController().signal)).resolves.toMatchObject({
      last_error: expect.stringContaining('check API_AUTH_EMAIL and API_AUTH_PASSWORD'),
    });
    await jest.advanceTimersByTimeAsync(REJECTED_LOGIN_PAUSE_MS);
    expect(await tokens.getToken()).toBe('t1');
    await flush();
    expect(script.calls).toBe(3);
    expect(await tokens.getToken()).toBe('t3');
  });

  it('on a 401 drops the token only if it is still the current one, and logs in once', async () => {
    const tokens = manager();
    expect(await tokens.getToken()).toBe('t1');
    script.then('wait');
    tokens.invalidate('t1');
    tokens.invalidate('t1');
    tokens.invalidate('stale-token');
    const waiting = Array.from({ length: 50 }, () => tokens.getToken());
    await flush();
    expect(script.calls).toBe(2);
    script.answer();
    expect(new Set(await Promise.all(waiting))).toEqual(new Set(['t2']));
    tokens.invalidate('t1');
    expect(await tokens.getToken()).toBe('t2');
    expect(script.calls).toBe(2);
  });

  it('logs in again on a 401 at most once per interval, so a platform rejecting every token causes no login storm', async () => {
    const tokens = manager();
    expect(await tokens.getToken()).toBe('t1');
    tokens.invalidate('t1');
    expect(await tokens.getToken()).toBe('t2');
    tokens.invalidate('t2');
    expect(await tokens.getToken()).toBe('t2');
    expect(script.calls).toBe(2);
    await jest.advanceTimersByTimeAsync(UNAUTHORIZED_RELOGIN_INTERVAL_MS);
    tokens.invalidate('t2');
    expect(await tokens.getToken()).toBe('t3');
  });

  it('lets readiness wait for the login in flight, and says why it is not ready', async () => {
    script.then('wait');
    const tokens = manager();
    tokens.start();
    const ready = tokens.checkReadiness(new AbortController().signal);
    script.answer();
    await expect(ready).resolves.toMatchObject({
      mode: 'login',
      token_expiry_source: 'jwt_exp',
      consecutive_failures: 0,
    });
    const cold = manager();
    await expect(cold.checkReadiness(new AbortController().signal)).rejects.toThrow('no platform token yet');
  });

  it('stops its timers and a login waiting for its backoff on stop()', async () => {
    const realSleep = manager({ sleep: undefined });
    script.then(unavailable());
    realSleep.start();
    await flush();
    realSleep.stop();
    await jest.advanceTimersByTimeAsync(10 * HOUR);
    expect(script.calls).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
