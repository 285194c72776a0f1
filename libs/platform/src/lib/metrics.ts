import { Controller, Get, Header, Injectable, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Counter, type Metric, Registry, collectDefaultMetrics } from 'prom-client';

export interface HotPathCounterOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  readonly registry: Registry;
}

/**
 * A Prometheus counter for code that runs on every request: an increment is a plain addition to a number kept per
 * label-value tuple, handed to prom-client's Counter (registered under the name) only when the registry is scraped.
 * A prom-client increment validates and hashes its label set on every call; two of them per request cost gcp-token's
 * cached `POST /token` a fifth of its throughput here.
 */
export class HotPathCounter<L extends string = never> {
  private readonly series = new Map<string, { readonly labels: Partial<Record<L, string>>; pending: number }>();
  private readonly labelNames: readonly L[];

  constructor(options: HotPathCounterOptions<L>) {
    this.labelNames = options.labelNames ?? [];
    const series = this.series;
    new Counter({
      name: options.name,
      help: options.help,
      labelNames: [...this.labelNames],
      registers: [options.registry],
      collect() {
        for (const entry of series.values()) {
          if (entry.pending === 0) continue;
          this.inc(entry.labels, entry.pending);
          entry.pending = 0;
        }
      },
    });
  }

  /** Adds 1 for these label values, given in the order of `labelNames`. */
  inc(...labelValues: string[]): void {
    this.add(1, ...labelValues);
  }

  /**
   * Adds `count` (zero or more) for these label values, given in the order of `labelNames`. A negative or
   * non-finite count throws here, as prom-client's own increment would: accepted, it would make every later scrape
   * of the registry fail instead.
   */
  add(count: number, ...labelValues: string[]): void {
    if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) {
      throw new RangeError(`counter increment must be a finite number >= 0, got ${String(count)}`);
    }
    if (labelValues.length !== this.labelNames.length) {
      throw new RangeError(`counter needs ${this.labelNames.length} label values, got ${labelValues.length}`);
    }
    const key = labelValues.length === 1 ? labelValues[0]! : labelValues.join('\u0000');
    let entry = this.series.get(key);
    if (!entry) {
      const labels: Partial<Record<L, string>> = {};
      this.labelNames.forEach((name, i) => (labels[name] = labelValues[i]));
      entry = { labels, pending: 0 };
      this.series.set(key, entry);
    }
    entry.pending += count;
  }
}

const REQUEST_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

type RequestLabels = { method: string; route: string; status_code: string };

/** What prom-client's registry reads from a metric when it is scraped (its typings describe a different shape). */
export interface HistogramExposition {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: { metricName: string; labels: Record<string, string | number>; value: number }[];
}

interface RequestSeries {
  readonly labels: RequestLabels;
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/**
 * `http_request_duration_seconds`, observed once for every request of every app. prom-client's Histogram spends
 * about half a microsecond per observation validating and hashing the label set, which was a tenth of a small
 * route's cost here; this one finds its series by the three label values and hands prom-client the same exposition
 * (`_bucket` with cumulative `le` counts, `_sum`, `_count`) when the registry is scraped.
 */
export class RequestDurationHistogram {
  readonly name = 'http_request_duration_seconds';
  readonly help = 'HTTP request duration by method, route pattern and status code';
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly series = new Map<string, RequestSeries>();

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    // As prom-client's Histogram: a non-finite value would make the series' sum meaningless for good.
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${String(seconds)}`);
    const key = `${statusCode} ${method} ${route}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels: { method, route, status_code: String(statusCode) },
        counts: new Array<number>(REQUEST_DURATION_BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < REQUEST_DURATION_BUCKETS.length && seconds > REQUEST_DURATION_BUCKETS[bucket]!) bucket += 1;
    series.counts[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  get(): HistogramExposition {
    const values: HistogramExposition['values'] = [];
    const bucketName = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      REQUEST_DURATION_BUCKETS.forEach((le, i) => {
        cumulative += counts[i]!;
        values.push({ metricName: bucketName, labels: { le, ...labels }, value: cumulative });
      });
      values.push({ metricName: bucketName, labels: { le: '+Inf', ...labels }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

/**
 * One Prometheus registry per app instance (not prom-client's global one, so several instances can live in one
 * process under test). Feature modules inject it to add their own counters.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestDuration = new RequestDurationHistogram();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // prom-client reads name, help, type and get() from a registered metric; its typings want its own classes.
    this.registry.registerMetric(this.httpRequestDuration as unknown as Metric);
  }

  /** `route` is the route pattern (`/tokens/:id`), never the raw URL, so label cardinality stays bounded. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpRequestDuration.observe(method, route, statusCode, seconds);
  }
}

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Module({ controllers: [MetricsController], providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
