/**
 * Rate-limit store micro-benchmark: decisions per second and latency per decision for each store (memory,
 * Redis) and algorithm (token bucket, fixed window, daily quota), calling the limiters of libs/rate-limit
 * directly, without HTTP. bench/run.mjs runs it after the HTTP scenarios; it also runs alone:
 *
 *   node bench/rate-limit-stores.mjs [filter]
 *
 * It needs the stores compiled to CommonJS first: npx tsc -p libs/rate-limit/tsconfig.bench.json
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { formatMs, markdownTable, percentile, readKnob, textTable } from './common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = `${ROOT}dist/bench/rate-limit/`;
const SOURCES = `${ROOT}libs/rate-limit/src/lib/`;
const COMPILE_COMMAND = 'npx tsc -p libs/rate-limit/tsconfig.bench.json';
const MODULES = ['limiters', 'memory.store', 'redis.store', 'redis-client'];
const COMPILED = [...MODULES, 'clock', 'redis-scripts', 'resilient.store', 'token-bucket', 'types'];
const CONNECT_TIMEOUT_MS = 3_000;
// The apps use 250 ms; a longer timeout makes a busy machine show up as a slow p99 rather than as errors.
const COMMAND_TIMEOUT_MS = 1_000;
// A memory decision never waits for I/O: without an occasional turn of the event loop, signals and timers
// would wait for the whole measurement.
const YIELD_EVERY_NS = 10_000_000n;

/** Limits generous enough that almost every decision is allowed, as on a healthy production system. */
export const ALGORITHMS = {
  'token bucket': {
    config: { capacity: 1_000, refillPerSecond: 1_000 },
    create: (lib, store, name, config) => {
      const limiter = new lib.TokenBucket(store, name, config);
      return (key) => limiter.consume(key);
    },
  },
  'fixed window': {
    config: { limit: 100_000, windowMs: 60_000 },
    create: (lib, store, name, config) => {
      const limiter = new lib.FixedWindow(store, name, config);
      return (key) => limiter.consume(key);
    },
  },
  'daily quota': {
    config: { limit: 10_000_000 },
    create: (lib, store, name, config) => {
      const limiter = new lib.DailyQuota(store, name, config);
      return (key) => limiter.reserve(key, 1);
    },
  },
};

function scenario(store, algorithm, replicas = 1) {
  return {
    name: `rate-limit ${store} ${algorithm}`,
    store,
    algorithm,
    redis: store.startsWith('redis'),
    replicas,
  };
}

/** `replicas` Redis clients (each its own connection and RedisStore) share the decisions, like app replicas. */
export const storeScenarios = [
  ...Object.keys(ALGORITHMS).map((algorithm) => scenario('memory', algorithm)),
  ...Object.keys(ALGORITHMS).map((algorithm) => scenario('redis', algorithm)),
  scenario('redis (3 clients)', 'token bucket', 3),
];

export function selectStoreScenarios(filter) {
  if (!filter) return storeScenarios;
  const needle = filter.toLowerCase();
  return storeScenarios.filter((s) => s.name.toLowerCase().includes(needle));
}

export function readStoreOptions() {
  return {
    duration: readKnob('BENCH_DURATION', 10, { min: 1 }),
    warmup: readKnob('BENCH_STORE_WARMUP', 1, { min: 0 }),
    concurrency: Math.round(readKnob('BENCH_STORE_CONCURRENCY', 64, { min: 1 })),
    keys: Math.round(readKnob('BENCH_STORE_KEYS', 10_000, { min: 1 })),
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
  };
}

function redactUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable URL)';
  }
}

function loadLibrary() {
  const missing = COMPILED.filter((name) => !existsSync(`${DIST}${name}.js`));
  if (missing.length > 0) {
    throw new Error(
      `${DIST}${missing[0]}.js does not exist; compile the rate-limit stores first: ${COMPILE_COMMAND}`,
    );
  }
  const stale = COMPILED.filter(
    (name) =>
      existsSync(`${SOURCES}${name}.ts`) &&
      statSync(`${SOURCES}${name}.ts`).mtimeMs > statSync(`${DIST}${name}.js`).mtimeMs,
  );
  if (stale.length > 0) {
    console.error(
      `warning: libs/rate-limit/src/lib/${stale[0]}.ts is newer than its compiled copy; run ${COMPILE_COMMAND}`,
    );
  }
  const require = createRequire(DIST);
  return Object.assign({}, ...MODULES.map((name) => require(`${DIST}${name}.js`)));
}

/** Latencies in ms, in a typed array that grows: millions of decisions fit without boxing each number. */
class Samples {
  values = new Float64Array(1 << 16);
  length = 0;

  push(value) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  sorted() {
    return this.values.subarray(0, this.length).sort();
  }
}

/**
 * Keeps `concurrency` decisions in flight for `seconds`, each on a key drawn at random. Closed loop: a worker
 * starts its next decision when the previous one is answered. `decide(worker, key)` returns the decision.
 */
async function drive(decide, keys, { concurrency, seconds, signal }) {
  const samples = new Samples();
  const errorMessages = new Map();
  let allowed = 0;
  let denied = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  // All workers pause together, on one promise, so they also resume together and stay interleaved: a worker
  // yielding alone would then run on its own, one decision in flight instead of `concurrency`.
  let lastYield = start;
  let pause;
  const worker = async (index) => {
    for (let now = start; now < deadline && !signal?.aborted;) {
      const key = keys[Math.floor(Math.random() * keys.length)];
      const started = process.hrtime.bigint();
      try {
        const decision = await decide(index, key);
        now = process.hrtime.bigint();
        samples.push(Number(now - started) / 1e6);
        if (decision.allowed) allowed += 1;
        else denied += 1;
      } catch (error) {
        now = process.hrtime.bigint();
        const message = error?.message ?? String(error);
        errorMessages.set(message, (errorMessages.get(message) ?? 0) + 1);
      }
      if (!pause && now - lastYield > YIELD_EVERY_NS) {
        pause = yieldToEventLoop().then(() => {
          pause = undefined;
          lastYield = process.hrtime.bigint();
        });
      }
      if (pause) {
        await pause;
        now = process.hrtime.bigint();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const errors = [...errorMessages.values()].reduce((sum, count) => sum + count, 0);
  return { samples, allowed, denied, errors, errorMessages: Object.fromEntries(errorMessages), elapsedMs };
}

function summarize({ samples, allowed, denied, errors, errorMessages, elapsedMs }) {
  const sorted = samples.sorted();
  const total = allowed + denied;
  const row = {
    dps: total / (elapsedMs / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors,
    total,
    allowed,
    denied,
    elapsedMs: Math.round(elapsedMs),
    errorMessages,
  };
  const problems = [];
  if (total === 0) problems.push('no decision completed');
  if (errors > 0) problems.push(`${errors} errors ${JSON.stringify(errorMessages)}`);
  return problems.length ? { ...row, error: problems.join('; ') } : row;
}

function waitUntilReady(client) {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolveReady, reject) => {
    let lastError;
    const onError = (error) => {
      lastError = error;
    };
    const done = (error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      if (error) reject(error);
      else resolveReady();
    };
    const onReady = () => done();
    const timer = setTimeout(
      () => done(lastError ?? new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
      CONNECT_TIMEOUT_MS,
    );
    client.on('error', onError);
    client.once('ready', onReady);
  });
}

/** Connections to the machine's Redis, opened on first use; every key written is under one prefix per run. */
class RedisClients {
  clients = [];

  constructor(lib, url) {
    this.lib = lib;
    this.url = url;
    this.prefix = `bench-rl-${Date.now().toString(36)}-${process.pid}`;
  }

  async get(count) {
    while (this.clients.length < count) {
      const client = this.lib.createLimiterRedisClient(this.url, { commandTimeoutMs: COMMAND_TIMEOUT_MS });
      // ioredis also emits connection trouble as 'error' events; the failing decisions already report it.
      client.on('error', () => {});
      this.clients.push(client);
      try {
        await waitUntilReady(client);
      } catch (error) {
        throw new Error(
          `Redis at ${redactUrl(this.url)} is unreachable (${error.message}); start it (or set BENCH_REDIS_URL), ` +
            `or leave out the Redis scenarios with a filter such as "memory"`,
        );
      }
    }
    return this.clients.slice(0, count);
  }

  async version() {
    const [client] = await this.get(1);
    return /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
  }

  /** Deletes this run's keys (they would expire anyway: at most a day after the run). */
  async deleteKeys() {
    const client = this.clients.find((c) => c.status === 'ready');
    if (!client) return 0;
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  }

  async close() {
    await Promise.all(
      this.clients.map((client) =>
        client.status === 'ready' ? client.quit().catch(() => client.disconnect()) : client.disconnect(),
      ),
    );
  }
}

async function stores(lib, spec, redis) {
  if (!spec.redis) return [new lib.MemoryStore({ maxKeys: 100_000 })];
  const clients = await redis.get(spec.replicas);
  return clients.map((client) => new lib.RedisStore(client, redis.prefix));
}

async function measure(lib, spec, options, keys, redis, signal) {
  const algorithm = ALGORITHMS[spec.algorithm];
  // One limiter per replica, all with the same name and config, so they share the keys' state in Redis.
  const name = `bench-${spec.algorithm.replaceAll(' ', '-')}-${spec.replicas}`;
  const deciders = (await stores(lib, spec, redis)).map((store) =>
    algorithm.create(lib, store, name, algorithm.config),
  );
  const decide = (worker, key) => deciders[worker % deciders.length](key);
  for (const decider of deciders) await decider(keys[0]); // fails early and loudly, e.g. on a script error
  const load = { concurrency: options.concurrency, signal };
  if (options.warmup > 0) await drive(decide, keys, { ...load, seconds: options.warmup });
  const row = summarize(await drive(decide, keys, { ...load, seconds: options.duration }));
  if (signal?.aborted) return { ...row, error: 'interrupted' };
  return row;
}

/**
 * Runs the selected store scenarios one after another. Never throws for a scenario's failure: the row carries
 * `error`. Returns { settings, rows }.
 */
export async function runStoreBench(list, options, { signal } = {}) {
  const settings = {
    duration: options.duration,
    warmup: options.warmup,
    concurrency: options.concurrency,
    keys: options.keys,
    limits: Object.fromEntries(Object.entries(ALGORITHMS).map(([name, { config }]) => [name, config])),
  };
  let lib;
  try {
    lib = loadLibrary();
  } catch (error) {
    console.error(`\n✖ rate-limit store bench FAILED: ${error.message}\n`);
    return { settings, rows: list.map((spec) => ({ scenario: spec, error: error.message })) };
  }
  const keys = Array.from({ length: options.keys }, (_, i) => `bench-user-${i}`);
  const redis = list.some((spec) => spec.redis) ? new RedisClients(lib, options.redisUrl) : undefined;
  if (redis) {
    settings.redis = { url: redactUrl(options.redisUrl), commandTimeoutMs: COMMAND_TIMEOUT_MS };
    try {
      settings.redis.version = await redis.version();
    } catch (error) {
      settings.redis.error = error.message;
      console.error(`\n✖ ${error.message}\n`);
    }
  }
  const rows = [];
  try {
    for (const spec of list) {
      if (signal?.aborted) break;
      process.stderr.write(`▶ ${spec.name} ... `);
      const row = { scenario: spec };
      const unreachable = spec.redis ? settings.redis.error : undefined; // already reported above
      try {
        if (unreachable) throw new Error(unreachable);
        Object.assign(row, await measure(lib, spec, options, keys, redis, signal));
      } catch (error) {
        row.error = error.message;
      }
      process.stderr.write(row.error ? 'FAILED\n' : `${Math.round(row.dps)} decisions/s\n`);
      if (row.error && !unreachable) console.error(`\n✖ ${spec.name} FAILED: ${row.error}\n`);
      rows.push(row);
    }
  } finally {
    if (redis) {
      try {
        const deleted = await redis.deleteKeys();
        if (deleted > 0) console.error(`Deleted ${deleted} bench keys (${redis.prefix}:*) from Redis`);
      } catch (error) {
        console.error(
          `warning: could not delete the bench keys ${redis.prefix}:* from Redis (${error.message}); they expire within a day`,
        );
      } finally {
        await redis.close();
      }
    }
  }
  return { settings, rows };
}

const COLUMNS = [
  { title: 'store', align: 'left', cell: (row) => row.scenario.store },
  { title: 'algorithm', align: 'left', cell: (row) => row.scenario.algorithm },
  {
    title: 'decisions/s',
    align: 'right',
    cell: (row) => (row.dps === undefined ? 'FAILED' : Math.round(row.dps).toString()),
  },
  { title: 'p50 ms', align: 'right', cell: (row) => formatMs(row.p50, 3) },
  { title: 'p99 ms', align: 'right', cell: (row) => formatMs(row.p99, 3) },
  { title: 'errors', align: 'right', cell: (row) => (row.errors === undefined ? '-' : String(row.errors)) },
];

export function storeTextTable(rows) {
  return textTable(COLUMNS, rows);
}

export function storeFailureLines(rows) {
  return rows.filter((row) => row.error).map((row) => `${row.scenario.name}: ${row.error.split('\n')[0]}`);
}

function describeSettings(settings) {
  const n = (value) => value.toLocaleString('en-US');
  const { 'token bucket': bucket, 'fixed window': window, 'daily quota': quota } = settings.limits;
  const lines = [
    `- Decisions: ${settings.concurrency} in flight on keys drawn at random from ${n(settings.keys)}, ` +
      `for ${settings.duration} s per scenario (after ${settings.warmup} s warm-up), one scenario at a time, in the bench process`,
    `- Limits per key (generous, so almost every decision is allowed): token bucket ${n(bucket.capacity)} burst and ` +
      `${n(bucket.refillPerSecond)}/s, fixed window ${n(window.limit)} per ${n(window.windowMs / 1000)} s, ` +
      `daily quota ${n(quota.limit)} per day`,
  ];
  if (settings.redis) {
    const version = settings.redis.version ?? 'unreachable';
    lines.push(
      `- Redis: ${version} at ${settings.redis.url}, command timeout ${settings.redis.commandTimeoutMs} ms; ` +
        `"redis (3 clients)" spreads the decisions over 3 connections, as 3 replicas would`,
    );
  }
  return lines;
}

/** The "Rate-limit store decisions" section of bench/results/latest.md. */
export function storeMarkdownSection({ settings, rows }) {
  const failures = storeFailureLines(rows);
  return [
    '## Rate-limit store decisions',
    '',
    ...describeSettings(settings),
    '',
    markdownTable(COLUMNS, rows),
    '',
    'Latency is timed around each limiter call, so it includes the wait for the event loop shared by all decisions in flight.',
    ...(failures.length ? ['', '**Failed scenarios:**', '', ...failures.map((line) => `- ${line}`)] : []),
  ];
}

export function storeJson({ settings, rows }) {
  return {
    ...settings,
    scenarios: rows.map(({ scenario, ...row }) => ({
      name: scenario.name,
      store: scenario.store,
      algorithm: scenario.algorithm,
      replicas: scenario.replicas,
      ...row,
    })),
  };
}

async function main() {
  const filter = process.argv[2];
  const list = selectStoreScenarios(filter);
  if (list.length === 0) {
    throw new Error(
      `no store scenario name contains ${JSON.stringify(filter)}; they are:\n  ${storeScenarios.map((s) => s.name).join('\n  ')}`,
    );
  }
  const options = readStoreOptions();
  const controller = new AbortController();
  const onSignal = (signal) => {
    console.error(`\n${signal}: stopping after this scenario's cleanup`);
    controller.abort();
    process.exitCode = signal === 'SIGINT' ? 130 : 143;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  console.error(
    `Benchmarking ${list.length} store scenario(s): ${options.concurrency} decisions in flight, ${options.duration} s each (+${options.warmup} s warm-up)`,
  );
  const { rows } = await runStoreBench(list, options, { signal: controller.signal });
  console.log(`rate-limit store decisions\n\n${storeTextTable(rows)}`);
  const failures = storeFailureLines(rows);
  if (failures.length)
    console.error(`\n✖ ${failures.length} scenario(s) FAILED:\n  ${failures.join('\n  ')}`);
  return failures.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const code = await main();
    process.exitCode ??= code;
  } catch (error) {
    console.error(`✖ store bench failed: ${error.stack ?? error}`);
    process.exitCode = 1;
  }
}
