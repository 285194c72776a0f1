import { Counter, type Registry } from 'prom-client';

/**
 * A Prometheus counter for the verification hot path: increments are plain additions, handed to prom-client only
 * when /metrics is scraped (a labelled prom-client increment hashes its labels on every call).
 */
export class HotPathCounter<L extends string> {
  private readonly pending = new Map<L, number>();

  constructor(name: string, help: string, label: string, values: readonly L[], registry: Registry) {
    for (const value of values) this.pending.set(value, 0);
    const pending = this.pending;
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        for (const [value, count] of pending) {
          if (count === 0) continue;
          this.inc({ [label]: value }, count);
          pending.set(value, 0);
        }
      },
    });
  }

  inc(value: L, count = 1): void {
    this.pending.set(value, (this.pending.get(value) ?? 0) + count);
  }
}
