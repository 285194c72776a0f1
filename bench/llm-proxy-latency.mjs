// Added latency of llm-proxy over calling its upstream directly, at a fixed request rate.
//
// The bench harness (run.mjs) loads a target as hard as it can with a fixed number of connections; this measures
// something else: at a steady, realistic rate, how many milliseconds the proxy adds to every request (JWT check,
// Redis limits, validation, forwarding, usage). Both sides are measured in the same run, against the same local
// upstream, in alternating rounds so that a change in machine load hits both alike.
//
//   npx nx build llm-proxy && node bench/llm-proxy-latency.mjs
//
// The load is open-loop at an even pace: one request every 1/rate s, whatever the answers do. (autocannon's
// overallRate is not that: each connection spends its per-second budget back to back at the start of every second,
// so 500 req/s arrive as one burst of 500 and the numbers measure queueing in the burst, not the proxy.) Requests go
// over keep-alive connections (an undici Pool); latency is from sending a request to reading its whole answer.
//
// Knobs: LATENCY_RATE (req/s, default 500), LATENCY_DURATION (s per round, default 10), LATENCY_ROUNDS (default 2),
// LATENCY_WARMUP (s, default 3), LATENCY_CONNECTIONS (most requests in flight, default 64), BENCH_REDIS_URL.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { Pool } from 'undici';
import { formatMs, markdownTable, percentile, readKnob, textTable } from './common.mjs';
import {
  DIRECT_REQUEST,
  PROXY_ENV,
  PROXY_REQUEST,
  UPSTREAM_URL,
  startUpstream,
} from './scenarios/llm-proxy.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = `${ROOT}dist/apps/llm-proxy/main.js`;
const RESULT = fileURLToPath(new URL('results/llm-proxy-latency.md', import.meta.url));
const TARGETS = { addedP50Ms: 1.5, addedP99Ms: 5 };

const options = {
  rate: readKnob('LATENCY_RATE', 500, { min: 1 }),
  duration: readKnob('LATENCY_DURATION', 10, { min: 1 }),
  rounds: Math.round(readKnob('LATENCY_ROUNDS', 2, { min: 1 })),
  warmup: readKnob('LATENCY_WARMUP', 3, { min: 0 }),
  connections: Math.round(readKnob('LATENCY_CONNECTIONS', 64, { min: 1 })),
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startProxy() {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} does not exist; build it first (npx nx build llm-proxy)`);
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      ...PROXY_ENV,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8').on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  process.once('exit', () => child.kill('SIGKILL'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`llm-proxy exited with code ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${baseUrl}/health/live`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  const ready = await fetch(`${baseUrl}/healthz`).then((r) => r.json());
  if (ready.rate_limit?.store !== 'redis' || ready.rate_limit?.mode !== 'redis') {
    throw new Error(
      `llm-proxy is not deciding limits in Redis (${JSON.stringify(ready)}); is Redis up at ${PROXY_ENV.API_KEY_SERVER_REDIS_URL}?`,
    );
  }
  return {
    baseUrl,
    stop: () =>
      new Promise((resolve) =>
        child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')),
      ),
  };
}

function wire(url, request) {
  const { origin, pathname } = new URL(url);
  return {
    origin,
    path: pathname,
    method: request.method,
    headers: { ...request.headers, 'content-type': 'application/json' },
    body: JSON.stringify(request.body),
  };
}

async function probe(target) {
  const response = await fetch(`${target.origin}${target.path}`, {
    method: target.method,
    headers: target.headers,
    body: target.body,
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(
      `probe of ${target.origin}${target.path} answered ${response.status}: ${text.slice(0, 300)}`,
    );
}

/** Open-loop load at an even pace for `seconds`; every answer's latency, and the failures. */
async function measure(target, seconds) {
  const pool = new Pool(target.origin, { connections: options.connections, keepAliveTimeout: 60_000 });
  const latencies = [];
  const failures = { count: 0, statuses: {} };
  const inFlight = new Set();
  const send = () => {
    const started = process.hrtime.bigint();
    const request = pool
      .request({ path: target.path, method: target.method, headers: target.headers, body: target.body })
      .then(async ({ statusCode, body }) => {
        await body.dump();
        if (statusCode === 200) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        else {
          failures.count++;
          failures.statuses[statusCode] = (failures.statuses[statusCode] ?? 0) + 1;
        }
      })
      .catch((error) => {
        failures.count++;
        failures.statuses[error.code ?? 'error'] = (failures.statuses[error.code ?? 'error'] ?? 0) + 1;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const intervalNs = BigInt(Math.round(1e9 / options.rate));
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let next = start;
  let sent = 0;
  while (next < end) {
    const now = process.hrtime.bigint();
    // Catch up on every slot that is due (a timer fires up to a millisecond late), then sleep until the next.
    while (next <= now && next < end) {
      send();
      sent++;
      next += intervalNs;
    }
    await sleep(Math.max(0, Number(next - process.hrtime.bigint()) / 1e6 - 0.2));
  }
  await Promise.all(inFlight);
  await pool.close();
  return { latencies, failures, sent, seconds };
}

function summarize(name, runs) {
  const latencies = Float64Array.from(runs.flatMap((run) => run.latencies)).sort();
  const sent = runs.reduce((sum, run) => sum + run.sent, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const failures = runs.reduce((sum, run) => sum + run.failures.count, 0);
  const statuses = runs.map((run) => run.failures.statuses).filter((s) => Object.keys(s).length > 0);
  if (statuses.length > 0) console.error(`${name}: failed requests ${JSON.stringify(statuses)}`);
  return {
    name,
    rps: sent / seconds,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1),
    failures,
  };
}

const COLUMNS = [
  { title: 'path', align: 'left', cell: (row) => row.name },
  { title: 'req/s', align: 'right', cell: (row) => Math.round(row.rps).toString() },
  { title: 'p50 ms', align: 'right', cell: (row) => formatMs(row.p50) },
  { title: 'p90 ms', align: 'right', cell: (row) => formatMs(row.p90) },
  { title: 'p99 ms', align: 'right', cell: (row) => formatMs(row.p99) },
  { title: 'max ms', align: 'right', cell: (row) => formatMs(row.max) },
  { title: 'failed', align: 'right', cell: (row) => String(row.failures) },
];

async function main() {
  const upstream = await startUpstream();
  const proxy = await startProxy();
  const direct = wire(UPSTREAM_URL, DIRECT_REQUEST);
  const proxied = wire(`${proxy.baseUrl}${PROXY_REQUEST.path}`, PROXY_REQUEST);
  try {
    await probe(direct);
    await probe(proxied);
    console.error(
      `llm-proxy added latency: ${options.rate} req/s open-loop, ${options.rounds} round(s) of ${options.duration} s per path (+${options.warmup} s warm-up)`,
    );
    if (options.warmup > 0) {
      await measure(direct, options.warmup);
      await measure(proxied, options.warmup);
    }
    const runs = { direct: [], proxied: [] };
    for (let round = 1; round <= options.rounds; round++) {
      process.stderr.write(`▶ round ${round}: upstream directly ... `);
      runs.direct.push(await measure(direct, options.duration));
      process.stderr.write('through llm-proxy ... ');
      runs.proxied.push(await measure(proxied, options.duration));
      process.stderr.write('done\n');
    }
    const rows = [
      summarize('upstream directly', runs.direct),
      summarize('through llm-proxy (JWT, Redis limits, validation)', runs.proxied),
    ];
    const added = { p50: rows[1].p50 - rows[0].p50, p99: rows[1].p99 - rows[0].p99 };
    const met =
      added.p50 <= TARGETS.addedP50Ms &&
      added.p99 <= TARGETS.addedP99Ms &&
      rows.every((row) => row.failures === 0);
    const verdict = `Added by the proxy: p50 ${formatMs(added.p50)} ms (target ≤ ${TARGETS.addedP50Ms}), p99 ${formatMs(added.p99)} ms (target ≤ ${TARGETS.addedP99Ms}): ${met ? 'targets met' : 'targets MISSED'}.`;
    console.log(`${textTable(COLUMNS, rows)}\n\n${verdict}`);
    const report = [
      '# llm-proxy added latency',
      '',
      `- Date: ${new Date().toISOString()}`,
      `- Node: ${process.version}, CPU: ${cpus()[0]?.model?.trim() ?? 'unknown'} × ${cpus().length}`,
      `- Load: ${options.rate} req/s open-loop at an even pace (at most ${options.connections} connections), ${options.rounds} × ${options.duration} s per path, alternating`,
      '',
      markdownTable(COLUMNS, rows),
      '',
      verdict,
      '',
    ].join('\n');
    await mkdir(fileURLToPath(new URL('results/', import.meta.url)), { recursive: true });
    await writeFile(RESULT, report);
    console.error(`\nWrote ${RESULT}`);
    return met ? 0 : 1;
  } finally {
    await proxy.stop();
    await upstream.stop();
    await deleteBenchKeys();
  }
}

/** The run's limiter, nonce and usage keys (they would expire on their own, within a day). */
async function deleteBenchKeys() {
  const redis = new Redis(PROXY_ENV.API_KEY_SERVER_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${PROXY_ENV.API_KEY_SERVER_REDIS_PREFIX}:*`,
        'COUNT',
        1000,
      );
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch (error) {
    console.error(`warning: could not delete the bench's Redis keys: ${error.message}`);
  } finally {
    redis.disconnect();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`✖ llm-proxy latency bench failed: ${error.stack ?? error}`);
  process.exitCode = 1;
}
