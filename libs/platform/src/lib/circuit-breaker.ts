export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failed operations that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one trial operation is let through. */
  readonly openMs: number;
  readonly now?: () => number;
  readonly onStateChange?: (state: CircuitState) => void;
}

/**
 * Stops calling a dependency that keeps failing: after `failureThreshold` consecutive failures every call is
 * refused at once for `openMs`; then one trial call decides whether to close again or stay open.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: CircuitState = 'closed';
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    return this.current;
  }

  /** Milliseconds until a trial call is allowed (0 when calls are allowed now). */
  retryAfterMs(): number {
    if (this.current !== 'open') return 0;
    return Math.max(0, this.openedAt + this.options.openMs - this.now());
  }

  /** Whether a call may go ahead; a true answer in half-open state reserves the one trial call. */
  tryAcquire(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.retryAfterMs() > 0) return false;
      this.transition('half-open');
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.current !== 'closed') this.transition('closed');
  }

  recordFailure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (
      this.current === 'half-open' ||
      (this.current === 'closed' && this.failures >= this.options.failureThreshold)
    ) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  /** A call that ended without saying anything about the dependency's health (e.g. a 404). */
  release(): void {
    if (this.trialInFlight) this.recordSuccess();
  }

  private transition(state: CircuitState): void {
    this.current = state;
    this.options.onStateChange?.(state);
  }
}
