import { setTimeout as sleepFor } from 'node:timers/promises';
import { type ExpirySource, type PlatformToken, backoffDelayMs, refreshDelayMs } from './platform-token';
import { PlatformTokenErrorCode, PlatformTokenException } from './platform-token.exception';

/** What started a login. */
export type RefreshTrigger = 'startup' | 'scheduled' | 'on_demand' | 'unauthorized' | 'retry';

/** Per profile, for /health and readiness. Never holds the token itself. */
export type TokenStatus = {
  readonly mode: 'login' | 'static';
  readonly token_expires_at: string | null;
  readonly token_expiry_source: ExpirySource | null;
  readonly last_refresh_at: string | null;
  readonly next_refresh_at: string | null;
  readonly consecutive_failures: number;
  readonly last_error: string | null;
  readonly login_in_flight: boolean;
};

/** Gives the bearer token of one profile. */
export interface PlatformTokenSource {
  readonly mode: 'login' | 'static';
  /** A valid token, waiting for the login in flight when none is held. */
  getToken(signal?: AbortSignal): Promise<string>;
  /** The platform answered 401 to `token`: drop it and log in again, if it is still the current one. */
  invalidate(token: string): void;
  /** Resolves with the status when a valid token is held (waiting for a login in flight); throws why not. */
  checkReadiness(signal: AbortSignal): Promise<TokenStatus>;
  status(): TokenStatus;
  start(): void;
  stop(): void;
}

/** Hooks for logs and metrics. */
export interface TokenManagerEvents {
  loginFailed?(failure: PlatformTokenException, attempt: number, retryInMs: number | undefined): void;
  refreshed?(token: PlatformToken, trigger: RefreshTrigger, attempts: number): void;
  refreshFailed?(failure: PlatformTokenException, trigger: RefreshTrigger, consecutiveFailures: number): void;
  invalidated?(): void;
}

export interface PlatformTokenManagerOptions {
  /** One login attempt; throws a PlatformTokenException saying whether a retry may help. */
  readonly login: (signal: AbortSignal) => Promise<PlatformToken>;
  /** Retries after the first attempt of one login, for retryable failures only. */
  readonly maxRetries: number;
  readonly events?: TokenManagerEvents;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** After a failure no retry can fix (bad password), callers get the error this long before a login is tried again. */
export const REJECTED_LOGIN_PAUSE_MS = 60_000;
/** 401-triggered logins per profile are at most one per this interval, so a platform rejecting every token cannot cause a login per request. */
export const UNAUTHORIZED_RELOGIN_INTERVAL_MS = 10_000;
/** setTimeout's ceiling (about 24.8 days); a later refresh is simply scheduled at the ceiling. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface HeldToken extends PlatformToken {
  readonly refreshAt: number;
}

interface LoginFailure {
  readonly error: PlatformTokenException;
  readonly retryAt: number;
}

const iso = (epochMs: number | undefined) =>
  epochMs === undefined || !Number.isFinite(epochMs) ? null : new Date(epochMs).toISOString();

function asTokenException(error: unknown): PlatformTokenException {
  return error instanceof PlatformTokenException
    ? error
    : new PlatformTokenException(
        PlatformTokenErrorCode.LOGIN_UNAVAILABLE,
        'The platform login failed unexpectedly',
      );
}

/** Settles like `promise`, or rejects with the abort reason as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Delay before the next login after a whole login (retries included) failed: grows with each failure, up to a minute. */
export function failedLoginPauseMs(consecutiveFailures: number, random: number): number {
  const ceiling = Math.min(60_000, 2_000 * 2 ** Math.max(0, consecutiveFailures - 1));
  return Math.floor(ceiling / 2 + (random * ceiling) / 2);
}

/**
 * Keeps one profile's bearer token fresh by logging in with its email and password.
 *
 * - A token is refreshed in the background ahead of its expiry (refreshDelayMs); callers keep getting the
 *   current token meanwhile, so nobody waits while a valid token exists.
 * - With no valid token (cold start, expiry, a 401), callers wait for the one login in flight, however many
 *   they are; after a failed login they get its error at once until the next attempt is due.
 * - One login retries network errors, timeouts and 5xx with exponential backoff and full jitter; a rejected
 *   password is not retried, and callers get that error at once for REJECTED_LOGIN_PAUSE_MS.
 */
export class PlatformTokenManager implements PlatformTokenSource {
  readonly mode = 'login';
  private current?: HeldToken;
  private inFlight?: Promise<HeldToken>;
  private failure?: LoginFailure;
  private consecutiveFailures = 0;
  private lastRefreshAt?: number;
  private lastUnauthorizedReloginAt = Number.NEGATIVE_INFINITY;
  private timer?: NodeJS.Timeout;
  private nextRefreshAt?: number;
  private readonly lifetime = new AbortController();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly options: PlatformTokenManagerOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal }));
  }

  start(): void {
    this.refreshInBackground('startup');
  }

  stop(): void {
    this.lifetime.abort();
    this.cancelTimer();
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    const held = this.current;
    const now = this.now();
    const failure = this.failure;
    const pausing = failure !== undefined && now < failure.retryAt;
    if (held && now < held.expiresAt) {
      // The timer may have been late (a suspended process); the next caller notices instead. Never during the
      // pause after a failure: a rejected password must not be tried again on every call.
      if (now >= held.refreshAt && !this.inFlight && !pausing) this.refreshInBackground('scheduled');
      return held.value;
    }
    // After a failed login, callers are answered at once (503 with Retry-After) instead of queueing behind the
    // retry, until the pause is over; the first caller after it starts the next login and waits for it.
    if (failure && (this.inFlight || pausing)) throw failure.error;
    return (await untilAborted(this.inFlight ?? this.refresh('on_demand'), signal)).value;
  }

  invalidate(token: string): void {
    if (this.current?.value !== token) return;
    const now = this.now();
    if (now - this.lastUnauthorizedReloginAt < UNAUTHORIZED_RELOGIN_INTERVAL_MS) return;
    this.lastUnauthorizedReloginAt = now;
    this.current = undefined;
    this.cancelTimer();
    this.options.events?.invalidated?.();
    if (!this.failure || now >= this.failure.retryAt) this.refreshInBackground('unauthorized');
  }

  async checkReadiness(signal: AbortSignal): Promise<TokenStatus> {
    // The first login (or one after a 401) is worth waiting for; after a failure the failure is the answer.
    if (!this.hasValidToken() && this.inFlight && !this.failure)
      await untilAborted(this.inFlight, signal).catch(() => undefined);
    if (this.hasValidToken() || (this.lastRefreshAt !== undefined && !this.failure)) return this.status();
    const lastRefresh = iso(this.lastRefreshAt) ?? 'never';
    if (!this.failure) throw new Error(`no platform token yet (last refresh: ${lastRefresh})`);
    const failures = `${this.consecutiveFailures} consecutive failure${this.consecutiveFailures === 1 ? '' : 's'}`;
    throw new Error(`${this.failure.error.message} (${failures}; last refresh: ${lastRefresh})`);
  }

  status(): TokenStatus {
    const held = this.hasValidToken() ? this.current : undefined;
    return {
      mode: this.mode,
      token_expires_at: iso(held?.expiresAt),
      token_expiry_source: held?.expirySource ?? null,
      last_refresh_at: iso(this.lastRefreshAt),
      next_refresh_at: held
        ? iso(this.nextRefreshAt)
        : iso(this.failure?.error.retryable ? this.failure.retryAt : undefined),
      consecutive_failures: this.consecutiveFailures,
      last_error: this.failure?.error.message ?? null,
      login_in_flight: this.inFlight !== undefined,
    };
  }

  private hasValidToken(): boolean {
    return this.current !== undefined && this.now() < this.current.expiresAt;
  }

  private refreshInBackground(trigger: RefreshTrigger): void {
    if (this.lifetime.signal.aborted) return;
    this.refresh(trigger).catch(() => undefined);
  }

  private refresh(trigger: RefreshTrigger): Promise<HeldToken> {
    if (this.inFlight) return this.inFlight;
    const login = this.loginWithRetries().then(
      ({ token, attempts }) => this.accept(token, trigger, attempts),
      (error: unknown) => {
        throw this.recordFailure(asTokenException(error), trigger);
      },
    );
    this.inFlight = login;
    return login;
  }

  private async loginWithRetries(): Promise<{ token: PlatformToken; attempts: number }> {
    const signal = this.lifetime.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        return { token: await this.options.login(signal), attempts: attempt };
      } catch (error) {
        const failure = asTokenException(error);
        const retry = failure.retryable && attempt <= this.options.maxRetries && !signal.aborted;
        const delay = retry ? backoffDelayMs(attempt - 1, this.random()) : undefined;
        this.options.events?.loginFailed?.(failure, attempt, delay);
        if (delay === undefined) throw failure;
        await this.sleep(delay, signal);
      }
    }
  }

  private accept(token: PlatformToken, trigger: RefreshTrigger, attempts: number): HeldToken {
    const now = this.now();
    const delay = refreshDelayMs(token.expiresAt - now, this.random());
    const held: HeldToken = { ...token, refreshAt: now + delay };
    this.current = held;
    this.inFlight = undefined;
    this.failure = undefined;
    this.consecutiveFailures = 0;
    this.lastRefreshAt = now;
    if (trigger === 'unauthorized') this.lastUnauthorizedReloginAt = now;
    this.schedule(delay, 'scheduled');
    this.options.events?.refreshed?.(token, trigger, attempts);
    return held;
  }

  private recordFailure(error: PlatformTokenException, trigger: RefreshTrigger): PlatformTokenException {
    this.inFlight = undefined;
    if (this.lifetime.signal.aborted) return error;
    const now = this.now();
    this.consecutiveFailures += 1;
    const pause = error.retryable
      ? failedLoginPauseMs(this.consecutiveFailures, this.random())
      : REJECTED_LOGIN_PAUSE_MS;
    const failure = error.withRetryAt(now + pause);
    this.failure = { error: failure, retryAt: now + pause };
    // A transient failure heals by itself: try again in the background (readiness recovers without traffic).
    // A rejected password is only tried again when a caller asks after the pause, so the account is not locked.
    if (error.retryable) this.schedule(pause, 'retry');
    this.options.events?.refreshFailed?.(failure, trigger, this.consecutiveFailures);
    return failure;
  }

  private schedule(delayMs: number, trigger: RefreshTrigger): void {
    this.cancelTimer();
    if (this.lifetime.signal.aborted || !Number.isFinite(delayMs)) return;
    this.nextRefreshAt = this.now() + delayMs;
    this.timer = setTimeout(() => this.refreshInBackground(trigger), Math.min(delayMs, MAX_TIMER_MS));
    this.timer.unref();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextRefreshAt = undefined;
  }
}
