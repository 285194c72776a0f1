import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Hex } from '@auth-platform/crypto';
import { CircuitBreaker, type CircuitState, fullJitterBackoffMs } from '@auth-platform/platform';
import { ApiKeyManagerFailure, ApiKeyManagerUnavailableError } from './api-keys-client.exception';
import {
  type ApiKeyRefusalCode,
  type ApiKeyVerification,
  type VerificationOutcome,
  type VerifyApiKeyOptions,
  parseVerifyAnswer,
} from './api-key-verification';
import { ExpiringLruCache } from './expiring-lru-cache';
import { type ManagerAnswer, ManagerTransport, TransportError } from './manager-transport';
import { MAX_RECORD_COUNT, UsageBuffer, type UsageRecord } from './usage-buffer';

/** Structured logging, as Nest's `Logger` (and the platform's pino logger behind it) takes it. */
export interface ApiKeysClientLogger {
  log(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** What the client did, for an app's metrics. */
export type ApiKeysClientEvent =
  | {
      readonly type: 'verification';
      /** hit: from the cache; miss: this call asked the manager; shared: joined a call already in flight. */
      readonly cache: 'hit' | 'miss' | 'shared' | 'none';
      readonly outcome: 'VALID' | ApiKeyRefusalCode | ApiKeyManagerFailure;
    }
  | { readonly type: 'circuit'; readonly state: CircuitState }
  | { readonly type: 'usage_flush'; readonly outcome: UsageFlushResult }
  | { readonly type: 'usage_dropped'; readonly requests: number };

export interface ApiKeysClientOptions {
  /** api-key-manager's base URL (API_KEY_MANAGER_URL), e.g. `http://api-key-manager:8003`. */
  readonly baseUrl: string;
  /** One of the manager's VERIFY_API_KEYS (API_KEY_MANAGER_SERVICE_KEY). */
  readonly serviceKey: string;
  /** Deadline of one call to the manager. Default 1000 ms. */
  readonly timeoutMs?: number;
  /** How long a VALID answer is reused (never past the key's expiry). Default 2000 ms; see the README on revocation. */
  readonly validTtlMs?: number;
  /** How long a refusal is reused. Default 3000 ms. */
  readonly invalidTtlMs?: number;
  /** Cached answers at most (least recently used dropped first). Default 10,000. */
  readonly maxCacheEntries?: number;
  /** How often counted usage is reported. Default 5000 ms. */
  readonly usageFlushIntervalMs?: number;
  /** Records per usage report, 1-1000 (the manager's limit). Default 500. */
  readonly usageBatchSize?: number;
  /** Distinct (key, endpoint, status) records kept while the manager is away. Default 10,000. */
  readonly maxPendingUsageRecords?: number;
  /** Consecutive failed calls that open the circuit. Default 5. */
  readonly breakerFailureThreshold?: number;
  /** How long an open circuit refuses calls before one trial. Default 5000 ms. */
  readonly breakerOpenMs?: number;
  /** Retries of a call whose connection broke (a keep-alive socket closed under it). Default 1. */
  readonly retries?: number;
  /** Keep-alive connections to the manager. Default 16. */
  readonly connections?: number;
  readonly logger?: ApiKeysClientLogger;
  readonly onEvent?: (event: ApiKeysClientEvent) => void;
  /** The clock of the cache and the circuit breaker (tests). Default Date.now. */
  readonly now?: () => number;
}

export interface UsageFlushResult {
  /** Requests the manager accepted. */
  readonly accepted: number;
  /** Requests the manager refused for an unknown key id (not retried). */
  readonly rejected: number;
  /** Requests dropped: refused as malformed (400), or put back into a full buffer. */
  readonly dropped: number;
  /** Requests still waiting (the manager could not take them now, or counted meanwhile). */
  readonly pending: number;
}

export interface ApiKeysClientStatus {
  readonly circuit: CircuitState;
  readonly cachedAnswers: number;
  readonly pendingUsageRecords: number;
  readonly pendingUsageRequests: number;
}

const DEFAULTS = {
  timeoutMs: 1000,
  validTtlMs: 2000,
  invalidTtlMs: 3000,
  maxCacheEntries: 10_000,
  usageFlushIntervalMs: 5000,
  usageBatchSize: 500,
  maxPendingUsageRecords: 10_000,
  breakerFailureThreshold: 5,
  breakerOpenMs: 5000,
  retries: 1,
  connections: 16,
} as const;

type Tuning = { -readonly [K in keyof typeof DEFAULTS]: number };

/** The manager's limits on a verify body; anything beyond them would be a 400, so it is settled here. */
const MAX_KEY_LENGTH = 512;
const MAX_REQUIRED_SCOPES = 50;
const MAX_SCOPE_LENGTH = 100;
const MAX_ENDPOINT_LENGTH = 256;
const MAX_USAGE_BATCH = 1000;
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Connection errors worth one more try: the socket was closed under a request (keep-alive race). */
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const RETRY_BACKOFF = { baseMs: 25, capMs: 250 };

/**
 * The cache key of a verification: a SHA-256 of the key with the scopes and address it was checked for, so the raw
 * key is never a map key, and a result for one scope set or address never answers another.
 */
export function verificationCacheKey(
  key: string,
  requiredScopes: readonly string[],
  clientIp?: string,
): string {
  return sha256Hex(JSON.stringify([key, requiredScopes, clientIp ?? null]));
}

function normalizeScopes(scopes: readonly string[] | undefined): readonly string[] {
  if (!scopes || scopes.length === 0) return [];
  const unique = [...new Set(scopes)].sort();
  if (
    unique.length > MAX_REQUIRED_SCOPES ||
    !unique.every(
      (scope) => typeof scope === 'string' && scope.length > 0 && scope.length <= MAX_SCOPE_LENGTH,
    )
  ) {
    throw new TypeError(
      `requiredScopes must be at most ${MAX_REQUIRED_SCOPES} strings of 1-${MAX_SCOPE_LENGTH} characters`,
    );
  }
  return unique;
}

function tuning(options: ApiKeysClientOptions): Tuning {
  const values = { ...DEFAULTS } as Tuning;
  for (const name of Object.keys(DEFAULTS) as (keyof Tuning)[]) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0)
      throw new TypeError(`${name} must be a whole number, 0 or more`);
    values[name] = value;
  }
  if (values.usageBatchSize < 1 || values.usageBatchSize > MAX_USAGE_BATCH) {
    throw new TypeError(`usageBatchSize must be 1-${MAX_USAGE_BATCH}`);
  }
  for (const name of ['timeoutMs', 'usageFlushIntervalMs', 'breakerFailureThreshold'] as const) {
    if (values[name] < 1) throw new TypeError(`${name} must be at least 1`);
  }
  return values;
}

function managerUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('baseUrl must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError('baseUrl must be an http(s) URL');
  if (url.username || url.password) throw new TypeError('baseUrl must not carry credentials');
  if (url.search || url.hash) throw new TypeError('baseUrl must not have a query or fragment');
  return url;
}

/**
 * Verifies API keys against api-key-manager (`POST /auth/keys/verify`) with this service's credential, caches the
 * answers for a few seconds, and reports usage in batches (`POST /auth/keys/batch/usage`).
 *
 * Fails closed: when the manager cannot answer (down, slow, 5xx, circuit open, service key refused) and no cached
 * answer is left, `verify` throws ApiKeyManagerUnavailableError, which an app answers with 503.
 */
export class ApiKeysClient {
  private readonly transport: ManagerTransport;
  private readonly settings: Tuning;
  private readonly now: () => number;
  private readonly cache: ExpiringLruCache<VerificationOutcome>;
  private readonly inFlight = new Map<string, Promise<VerificationOutcome>>();
  private readonly circuit: CircuitBreaker;
  private readonly usage: UsageBuffer;
  private readonly timer: NodeJS.Timeout;
  private readonly logger?: ApiKeysClientLogger;
  private readonly onEvent?: (event: ApiKeysClientEvent) => void;
  private readonly origin: string;
  /** The failure last logged, so an outage is one log line, not one per request. */
  private problem?: ApiKeyManagerFailure;
  private droppedSinceFlush = 0;
  private flushing?: Promise<UsageFlushResult>;
  private closing?: Promise<void>;
  private closed = false;

  constructor(options: ApiKeysClientOptions) {
    const url = managerUrl(options.baseUrl);
    if (typeof options.serviceKey !== 'string' || options.serviceKey.trim() === '') {
      throw new TypeError('serviceKey must not be empty');
    }
    this.settings = tuning(options);
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.onEvent = options.onEvent;
    this.origin = url.origin;
    this.transport = new ManagerTransport(
      url,
      options.serviceKey,
      this.settings.timeoutMs,
      this.settings.connections,
    );
    this.cache = new ExpiringLruCache(this.settings.maxCacheEntries, this.now);
    this.usage = new UsageBuffer(this.settings.maxPendingUsageRecords);
    this.circuit = new CircuitBreaker({
      failureThreshold: this.settings.breakerFailureThreshold,
      openMs: this.settings.breakerOpenMs,
      now: this.now,
      onStateChange: (state) => this.circuitChanged(state),
    });
    this.timer = setInterval(() => void this.flushUsage(), this.settings.usageFlushIntervalMs);
    this.timer.unref();
  }

  /**
   * Verifies a key, from the cache when a fresh answer is there; concurrent calls for the same key, scopes and address
   * share one request. Resolves with the manager's verdict; throws ApiKeyManagerUnavailableError when there is none.
   */
  async verify(key: string, options: VerifyApiKeyOptions = {}): Promise<ApiKeyVerification> {
    if (this.closed) throw new ApiKeyManagerUnavailableError(ApiKeyManagerFailure.CLOSED);
    const requiredScopes = normalizeScopes(options.requiredScopes);
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
      this.emit({ type: 'verification', cache: 'none', outcome: 'MALFORMED' });
      return { valid: false, code: 'MALFORMED', keyId: null, providerId: null, cached: false };
    }
    const clientIp = options.clientIp && isIP(options.clientIp) !== 0 ? options.clientIp : undefined;
    const cacheKey = verificationCacheKey(key, requiredScopes, clientIp);
    const cached = this.cache.get(cacheKey);
    if (cached) {
      this.emit({ type: 'verification', cache: 'hit', outcome: cached.code });
      return { ...cached, cached: true };
    }
    let flight = this.inFlight.get(cacheKey);
    const cache = flight ? 'shared' : 'miss';
    if (!flight) {
      flight = this.askManager(cacheKey, key, requiredScopes, clientIp).finally(() =>
        this.inFlight.delete(cacheKey),
      );
      this.inFlight.set(cacheKey, flight);
    }
    try {
      const outcome = await flight;
      this.emit({ type: 'verification', cache, outcome: outcome.code });
      return { ...outcome, cached: false };
    } catch (error) {
      if (error instanceof ApiKeyManagerUnavailableError) {
        this.emit({ type: 'verification', cache, outcome: error.reason });
      }
      throw error;
    }
  }

  /**
   * Counts one use (or `count`) of a managed key, reported with the next batch. False when it is not counted: an id
   * that is not a key id, a status outside 100-599, the client closed, or the buffer full while the manager is away.
   * Endpoints longer than 256 characters are cut.
   */
  recordUsage(keyId: string, endpoint: string, statusCode: number, count = 1): boolean {
    if (this.closed || typeof keyId !== 'string' || !KEY_ID.test(keyId)) return false;
    if (typeof endpoint !== 'string' || endpoint.length === 0) return false;
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return false;
    if (!Number.isInteger(count) || count < 1) return false;
    if (this.usage.add(keyId, endpoint.slice(0, MAX_ENDPOINT_LENGTH), statusCode, count)) return true;
    if (this.droppedSinceFlush === 0) {
      this.logger?.warn(
        { event: 'api_keys_usage_dropped', pending_records: this.usage.pendingRecords },
        'usage buffer is full while api-key-manager does not take reports; new usage is not counted',
      );
    }
    this.droppedSinceFlush += count;
    this.emit({ type: 'usage_dropped', requests: count });
    return false;
  }

  /**
   * Reports counted usage now, in batches of `usageBatchSize`; overlapping calls share one flush. A batch the manager
   * could not take (down, 5xx, refused credential) goes back into the buffer for the next flush.
   */
  flushUsage(): Promise<UsageFlushResult> {
    if (!this.flushing) {
      this.flushing = this.reportUsage().finally(() => {
        this.flushing = undefined;
      });
    }
    return this.flushing;
  }

  status(): ApiKeysClientStatus {
    return {
      circuit: this.circuit.state,
      cachedAnswers: this.cache.size,
      pendingUsageRecords: this.usage.pendingRecords,
      pendingUsageRequests: this.usage.pendingRequests,
    };
  }

  /** Stops the flush timer, reports what is pending (one try), then closes the connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      const running = this.flushing;
      await this.flushUsage();
      // A flush already running had taken its batches before close: what was counted since needs one more.
      if (running && this.usage.pendingRecords > 0) await this.flushUsage();
      this.closed = true;
      const lost = this.usage.pendingRequests;
      if (lost > 0) {
        this.logger?.warn(
          { event: 'api_keys_usage_lost_at_close', requests: lost },
          'usage could not be reported to api-key-manager before close',
        );
      }
      this.cache.clear();
      await this.transport.close();
    })();
    return this.closing;
  }

  /** Nest calls this on shutdown when the client is a provider (see apiKeysClientProvider). */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private async askManager(
    cacheKey: string,
    key: string,
    requiredScopes: readonly string[],
    clientIp: string | undefined,
  ): Promise<VerificationOutcome> {
    const body: Record<string, unknown> = { key };
    if (requiredScopes.length > 0) body['required_scopes'] = requiredScopes;
    if (clientIp !== undefined) body['client_ip'] = clientIp;
    const answer = await this.call('/auth/keys/verify', body, 200);
    const outcome = parseVerifyAnswer(answer.body, requiredScopes);
    if (!outcome) throw this.unexpected(answer.status);
    const now = this.now();
    const expiresAt =
      outcome.valid === true
        ? Math.min(now + this.settings.validTtlMs, outcome.expiresAt ?? Number.POSITIVE_INFINITY)
        : now + this.settings.invalidTtlMs;
    this.cache.set(cacheKey, outcome, expiresAt);
    return outcome;
  }

  private async reportUsage(): Promise<UsageFlushResult> {
    let accepted = 0;
    let rejected = 0;
    let dropped = 0;
    let retained = false;
    // Bounded by what is pending now, so a busy app's new usage cannot keep one flush going for ever.
    const rounds = Math.ceil(this.usage.pendingRecords / this.settings.usageBatchSize);
    for (let round = 0; round < rounds && this.usage.pendingRecords > 0; round++) {
      const batch = this.usage.take(this.settings.usageBatchSize);
      const requests = batch.reduce((sum, record) => sum + record.count, 0);
      try {
        const answer = await this.call('/auth/keys/batch/usage', { records: batch.map(toWireRecord) }, 202);
        const refused = refusedRequests(answer.body, batch);
        if (refused > 0) {
          this.logger?.warn(
            { event: 'api_keys_usage_rejected', requests: refused },
            'api-key-manager refused usage for unknown key ids',
          );
        }
        rejected += refused;
        accepted += requests - refused;
      } catch (error) {
        if (error instanceof ApiKeyManagerUnavailableError && error.status === 400) {
          // The manager refuses the batch as malformed: sending it again would fail again and block the rest.
          this.logger?.warn(
            { event: 'api_keys_usage_refused', requests, status: 400 },
            'api-key-manager refused a usage batch as malformed; it is dropped',
          );
          dropped += requests;
          continue;
        }
        dropped += this.usage.restore(batch);
        retained = true;
        break;
      }
    }
    // The manager takes reports again: a full buffer is worth a new warning.
    if (!retained) this.droppedSinceFlush = 0;
    const outcome = { accepted, rejected, dropped, pending: this.usage.pendingRequests };
    if (rounds > 0) this.emit({ type: 'usage_flush', outcome });
    return outcome;
  }

  /**
   * One call through the circuit breaker. Resolves only with the expected status; everything else becomes an
   * ApiKeyManagerUnavailableError (and is logged once per kind of failure, never with the request).
   */
  private async call(path: string, payload: unknown, expectedStatus: number): Promise<ManagerAnswer> {
    if (this.closed) throw new ApiKeyManagerUnavailableError(ApiKeyManagerFailure.CLOSED);
    if (!this.circuit.tryAcquire()) {
      throw new ApiKeyManagerUnavailableError(
        ApiKeyManagerFailure.CIRCUIT_OPEN,
        Math.max(1, Math.ceil(this.circuit.retryAfterMs() / 1000)),
      );
    }
    for (let attempt = 0; ; attempt++) {
      let answer: ManagerAnswer;
      try {
        answer = await this.transport.post(path, payload);
      } catch (error) {
        const failure = error instanceof TransportError ? error : new TransportError('network');
        const retryable =
          failure.kind === 'network' &&
          failure.code !== undefined &&
          RETRYABLE_NETWORK_CODES.has(failure.code);
        if (retryable && attempt < this.settings.retries) {
          await sleep(fullJitterBackoffMs(attempt, RETRY_BACKOFF));
          continue;
        }
        this.circuit.recordFailure();
        const reason =
          failure.kind === 'timeout' ? ApiKeyManagerFailure.TIMEOUT : ApiKeyManagerFailure.NETWORK;
        throw this.failed(reason, { code: failure.code });
      }
      return this.classify(answer, expectedStatus);
    }
  }

  private classify(answer: ManagerAnswer, expectedStatus: number): ManagerAnswer {
    const { status } = answer;
    if (status === expectedStatus) {
      this.circuit.recordSuccess();
      this.recovered();
      return answer;
    }
    if (status >= 500 || status === 408 || status === 429) {
      this.circuit.recordFailure();
      throw this.failed(ApiKeyManagerFailure.SERVER_ERROR, { status }, answer.retryAfterSeconds);
    }
    // The manager answered, so it is up; these say something about this client's setup, not the manager's health.
    this.circuit.release();
    if (status === 401 || status === 403) {
      throw this.failed(ApiKeyManagerFailure.SERVICE_KEY_REJECTED, { status }, 5);
    }
    throw this.unexpected(status);
  }

  private unexpected(status: number): ApiKeyManagerUnavailableError {
    return this.failed(ApiKeyManagerFailure.UNEXPECTED_RESPONSE, { status }, 5);
  }

  private failed(
    reason: ApiKeyManagerFailure,
    details: { status?: number; code?: string },
    retryAfterSeconds = 1,
  ): ApiKeyManagerUnavailableError {
    const error = new ApiKeyManagerUnavailableError(reason, retryAfterSeconds, details.status);
    if (this.problem !== reason) {
      this.problem = reason;
      this.logger?.warn(
        { event: 'api_key_manager_unavailable', reason, manager: this.origin, ...details },
        error.message,
      );
    }
    return error;
  }

  private recovered(): void {
    if (this.problem === undefined) return;
    this.logger?.log(
      { event: 'api_key_manager_recovered', after: this.problem, manager: this.origin },
      'api-key-manager answers again',
    );
    this.problem = undefined;
  }

  private circuitChanged(state: CircuitState): void {
    this.emit({ type: 'circuit', state });
    if (state === 'open') {
      this.logger?.warn(
        { event: 'api_key_manager_circuit', state, open_ms: this.settings.breakerOpenMs },
        'calls to api-key-manager paused after repeated failures',
      );
    } else if (state === 'closed') {
      this.logger?.log({ event: 'api_key_manager_circuit', state }, 'calls to api-key-manager resumed');
    }
  }

  private emit(event: ApiKeysClientEvent): void {
    this.onEvent?.(event);
  }
}

function toWireRecord(record: UsageRecord) {
  return {
    key_id: record.keyId,
    endpoint: record.endpoint,
    status_code: record.statusCode,
    count: Math.min(record.count, MAX_RECORD_COUNT),
  };
}

/** The requests of the records a 202 lists as rejected (`{ accepted, rejected: [{ index, key_id, reason }] }`). */
function refusedRequests(body: unknown, batch: readonly UsageRecord[]): number {
  const list = (body as { rejected?: unknown } | undefined)?.rejected;
  if (!Array.isArray(list)) return 0;
  let requests = 0;
  for (const item of list) {
    const index = (item as { index?: unknown } | null)?.index;
    if (typeof index === 'number' && batch[index]) requests += batch[index].count;
  }
  return requests;
}
