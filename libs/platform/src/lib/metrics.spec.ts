import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { HotPathCounter, RequestDurationHistogram } from './metrics';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The same metric as prom-client's own Histogram would expose it, for comparison. */
function promClientPair(): { registry: Registry; histogram: Histogram<'method' | 'route' | 'status_code'> } {
  const registry = new Registry();
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: BUCKETS,
    registers: [registry],
  });
  return { registry, histogram };
}

function ours(): { registry: Registry; histogram: RequestDurationHistogram } {
  const registry = new Registry();
  const histogram = new RequestDurationHistogram();
  registry.registerMetric(histogram as never);
  return { registry, histogram };
}

const observation = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE'),
  route: fc.constantFrom('/token', '/tokens/:id', 'unmatched', '/a "quoted" \\ route'),
  status: fc.constantFrom(200, 201, 401, 429, 503),
  // Bounds themselves, values between them, zero and values past the last bound.
  seconds: fc.oneof(fc.constantFrom(0, ...BUCKETS, 10.5, 60), fc.double({ min: 0, max: 20, noNaN: true })),
});

describe('RequestDurationHistogram', () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const expected = promClientPair();
        const actual = ours();
        for (const { method, route, status, seconds } of observations) {
          expected.histogram.observe({ method, route, status_code: String(status) }, seconds);
          actual.histogram.observe(method, route, status, seconds);
        }
        expect(await actual.registry.metrics()).toBe(await expected.registry.metrics());
      }),
      { numRuns: 50 },
    );
  });

  it('counts a value on a bound in that bound, and one past the last bound only in +Inf', async () => {
    const { registry, histogram } = ours();
    histogram.observe('GET', '/x', 200, 0.005);
    histogram.observe('GET', '/x', 200, 11);
    const text = await registry.metrics();
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.0025",method="GET",route="/x",status_code="200"} 0');
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",method="GET",route="/x",status_code="200"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{le="10",method="GET",route="/x",status_code="200"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/x",status_code="200"} 2');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/x",status_code="200"} 2');
  });

  it('refuses a duration that is not a finite number, and keeps its series intact', async () => {
    const { registry, histogram } = ours();
    histogram.observe('GET', '/x', 200, 0.1);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => histogram.observe('GET', '/x', 200, bad)).toThrow(TypeError);
    }
    expect(await registry.metrics()).toContain('http_request_duration_seconds_sum{method="GET",route="/x",status_code="200"} 0.1');
  });

  it('starts again from nothing when the registry resets its metrics', async () => {
    const { registry, histogram } = ours();
    histogram.observe('GET', '/x', 200, 0.1);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('route="/x"');
  });
});

describe('HotPathCounter', () => {
  it('shows every increment at scrape time, and keeps counting across scrapes', async () => {
    const registry = new Registry();
    const counter = new HotPathCounter({ name: 'demo_total', help: 'demo', labelNames: ['code'], registry });
    counter.inc('A');
    counter.add(2, 'A');
    expect(await registry.metrics()).toContain('demo_total{code="A"} 3');
    counter.inc('A');
    counter.inc('B');
    const text = await registry.metrics();
    expect(text).toContain('demo_total{code="A"} 4');
    expect(text).toContain('demo_total{code="B"} 1');
  });

  it('keeps label tuples apart, in the order of labelNames', async () => {
    const registry = new Registry();
    const counter = new HotPathCounter({ name: 'decisions_total', help: 'd', labelNames: ['limiter', 'outcome'], registry });
    counter.inc('token', 'allowed');
    counter.inc('token', 'allowed');
    counter.inc('token', 'limited');
    counter.inc('allowed', 'token');
    const text = await registry.metrics();
    expect(text).toContain('decisions_total{limiter="token",outcome="allowed"} 2');
    expect(text).toContain('decisions_total{limiter="token",outcome="limited"} 1');
    expect(text).toContain('decisions_total{limiter="allowed",outcome="token"} 1');
  });

  it('counts without labels, starting from 0', async () => {
    const registry = new Registry();
    const counter = new HotPathCounter({ name: 'hits_total', help: 'h', registry });
    expect(await registry.metrics()).toContain('hits_total 0');
    counter.inc();
    counter.add(4);
    expect(await registry.metrics()).toContain('hits_total 5');
  });

  it('refuses a negative or non-finite count at the call, so later scrapes still work', async () => {
    const registry = new Registry();
    const counter = new HotPathCounter({ name: 'tokens_total', help: 't', labelNames: ['type'], registry });
    counter.add(3, 'prompt');
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '2' as unknown as number]) {
      expect(() => counter.add(bad, 'prompt')).toThrow(RangeError);
    }
    expect(await registry.metrics()).toContain('tokens_total{type="prompt"} 3');
  });

  it('refuses the wrong number of label values', () => {
    const counter = new HotPathCounter({ name: 'x_total', help: 'x', labelNames: ['a', 'b'], registry: new Registry() });
    expect(() => counter.inc('only-one')).toThrow(RangeError);
  });
});
