import { setTimeout as sleep } from 'node:timers/promises';
import { CircuitBreaker, type CircuitState, fullJitterBackoffMs } from '@auth-platform/platform';
import { classifyFailure } from './storage-errors';
import { StorageErrorCode, StorageException } from './storage.exception';

export interface ResilienceOptions {
  /** Deadline of one attempt. */
  readonly timeoutMs: number;
  /** Retries after the first attempt, for transient failures only. */
  readonly maxRetries: number;
  /** Base of the exponential backoff (full jitter). */
  readonly backoffMs: number;
  readonly circuitFailureThreshold: number;
  readonly circuitOpenMs: number;
  readonly onCircuitChange?: (state: CircuitState) => void;
  /** Called once per operation with its outcome, for metrics. */
  readonly onOutcome?: (operation: string, outcome: 'success' | 'answer' | 'failure' | 'rejected' | 'circuit_open', seconds: number) => void;
}

const MAX_BACKOFF_MS = 2000;

/**
 * Runs storage calls with a per-attempt timeout, retries with exponential backoff and jitter for transient
 * failures only, and a circuit breaker that refuses calls at once while storage keeps failing. What it cannot
 * serve becomes a StorageException (503); definite answers (404, 409, 412) reach the caller unchanged.
 */
export class ResilientStorage {
  readonly circuit: CircuitBreaker;

  constructor(private readonly options: ResilienceOptions) {
    this.circuit = new CircuitBreaker({
      failureThreshold: options.circuitFailureThreshold,
      openMs: options.circuitOpenMs,
      onStateChange: options.onCircuitChange,
    });
  }

  async run<T>(operation: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    if (!this.circuit.tryAcquire()) {
      this.options.onOutcome?.(operation, 'circuit_open', 0);
      const seconds = Math.max(1, Math.ceil(this.circuit.retryAfterMs() / 1000));
      throw new StorageException(
        StorageErrorCode.CIRCUIT_OPEN,
        `Key storage is unavailable after repeated failures; try again in ${seconds} s`,
        seconds,
      );
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await call(AbortSignal.timeout(this.options.timeoutMs));
        this.circuit.recordSuccess();
        this.options.onOutcome?.(operation, 'success', elapsed());
        return result;
      } catch (error) {
        const kind = classifyFailure(error);
        if (kind === 'answer' || kind === 'unknown') {
          this.circuit.release();
          this.options.onOutcome?.(operation, 'answer', elapsed());
          throw error;
        }
        if (kind === 'credentials') {
          this.circuit.release();
          this.options.onOutcome?.(operation, 'rejected', elapsed());
          throw new StorageException(StorageErrorCode.CREDENTIALS_REJECTED, 'Key storage refused the service credentials; check AZURE_STORAGE_CONNECTION_STRING', 30);
        }
        if (attempt >= this.options.maxRetries) {
          this.circuit.recordFailure();
          this.options.onOutcome?.(operation, 'failure', elapsed());
          throw new StorageException(StorageErrorCode.UNAVAILABLE, 'Key storage is unavailable; try again shortly', 1);
        }
        await sleep(fullJitterBackoffMs(attempt, { baseMs: this.options.backoffMs, capMs: MAX_BACKOFF_MS }));
      }
    }
  }
}
