import { Registry } from 'prom-client';
import { HotPathCounter } from './hot-path-counter';

describe('HotPathCounter', () => {
  it('shows every increment at scrape time, and keeps counting across scrapes', async () => {
    const registry = new Registry();
    const counter = new HotPathCounter('demo_total', 'demo', 'code', ['A', 'B'] as const, registry);
    counter.inc('A');
    counter.inc('A', 2);
    expect(await registry.metrics()).toContain('demo_total{code="A"} 3');
    counter.inc('A');
    counter.inc('B');
    const text = await registry.metrics();
    expect(text).toContain('demo_total{code="A"} 4');
    expect(text).toContain('demo_total{code="B"} 1');
  });
});
