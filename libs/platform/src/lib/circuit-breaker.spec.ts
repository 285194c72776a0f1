import { CircuitBreaker, type CircuitState } from './circuit-breaker';

function breaker(threshold = 3, openMs = 1000) {
  let now = 0;
  const changes: CircuitState[] = [];
  const circuit = new CircuitBreaker({
    failureThreshold: threshold,
    openMs,
    now: () => now,
    onStateChange: (s) => changes.push(s),
  });
  return { circuit, changes, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and refuses calls while open', () => {
    const { circuit, changes } = breaker(3);
    circuit.recordFailure();
    circuit.recordFailure();
    expect(circuit.tryAcquire()).toBe(true);
    circuit.recordFailure();
    expect(circuit.state).toBe('open');
    expect(circuit.tryAcquire()).toBe(false);
    expect(circuit.retryAfterMs()).toBe(1000);
    expect(changes).toEqual(['open']);
  });

  it('forgets failures after a success', () => {
    const { circuit } = breaker(2);
    circuit.recordFailure();
    circuit.recordSuccess();
    circuit.recordFailure();
    expect(circuit.state).toBe('closed');
  });

  it('lets exactly one trial call through after the open period, and closes when it succeeds', () => {
    const { circuit, advance, changes } = breaker(1, 500);
    circuit.recordFailure();
    advance(499);
    expect(circuit.tryAcquire()).toBe(false);
    advance(1);
    expect(circuit.tryAcquire()).toBe(true);
    expect(circuit.state).toBe('half-open');
    expect(circuit.tryAcquire()).toBe(false);
    circuit.recordSuccess();
    expect(circuit.state).toBe('closed');
    expect(circuit.tryAcquire()).toBe(true);
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('opens again for another period when the trial call fails', () => {
    const { circuit, advance } = breaker(1, 500);
    circuit.recordFailure();
    advance(500);
    expect(circuit.tryAcquire()).toBe(true);
    circuit.recordFailure();
    expect(circuit.state).toBe('open');
    expect(circuit.retryAfterMs()).toBe(500);
  });

  it('counts a trial call that got a definite non-failure answer as proof of health', () => {
    const { circuit, advance } = breaker(1, 100);
    circuit.recordFailure();
    advance(100);
    expect(circuit.tryAcquire()).toBe(true);
    circuit.release();
    expect(circuit.state).toBe('closed');
  });
});
