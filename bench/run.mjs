import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { formatMs, markdownTable, percentile, readKnob, textTable } from './common.mjs';
import {
  readStoreOptions,
  runStoreBench,
  selectStoreScenarios,
  storeFailureLines,
  storeJson,
  storeMarkdownSection,
  storeScenarios,
  storeTextTable,
} from './rate-limit-stores.mjs';
import { baseline, scenarios as allScenarios } from './scenarios.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('results/', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_LIMIT = 20_000;

const running = new Set();
let currentLoad;
let currentStoreBench;
const storeBenchAbort = new AbortController();

function readOptions() {
  return {
    connections: Math.round(readKnob('BENCH_CONNECTIONS', 50, { min: 1 })),
    duration: readKnob('BENCH_DURATION', 10, { min: 1 }),
    // The Nest apps need about 3 s of load before the JIT settles; 1 s understated them by up to 3x.
    warmup: readKnob('BENCH_WARMUP', 3, { min: 0 }),
    filter: process.argv[2],
    stores: readStoreOptions(),
  };
}

function validateScenarios(list) {
  const names = new Set();
  for (const scenario of list) {
    const where = `scenario ${JSON.stringify(scenario?.name)}`;
    if (typeof scenario?.name !== 'string' || scenario.name === '') {
      throw new Error(`a scenario has no name: ${JSON.stringify(scenario)}`);
    }
    if (names.has(scenario.name)) throw new Error(`${where} is defined twice`);
    names.add(scenario.name);
    if (typeof scenario.target !== 'string' || !/^[a-z0-9-]+$/.test(scenario.target)) {
      throw new Error(`${where} needs a target ('baseline' or an app name)`);
    }
    if (!scenario.request?.method || !scenario.request?.path?.startsWith('/')) {
      throw new Error(`${where} needs request.method and a request.path starting with /`);
    }
    if (scenario.baseUrl !== undefined && !/^https?:\/\/[^/?#]+$/.test(scenario.baseUrl)) {
      throw new Error(`${where}: baseUrl must be an http(s) origin such as http://127.0.0.1:8080`);
    }
    if (scenario.connections !== undefined && !(Number.isInteger(scenario.connections) && scenario.connections >= 1)) {
      throw new Error(`${where}: connections must be a whole number >= 1`);
    }
    if (scenario.comparedTo !== undefined && !list.some((other) => other.name === scenario.comparedTo)) {
      throw new Error(`${where}: comparedTo names no scenario`);
    }
  }
}

/**
 * HTTP scenarios run with the baseline, which is only needed for them: a filter matching store scenarios only
 * (e.g. "rate-limit") starts no server at all.
 */
function selectScenarios(list, filter) {
  const others = list.filter((scenario) => scenario !== baseline);
  const stores = selectStoreScenarios(filter);
  if (!filter) return { http: [baseline, ...others], stores };
  const needle = filter.toLowerCase();
  const matched = others.filter((scenario) => scenario.name.toLowerCase().includes(needle));
  const http =
    matched.length > 0 || baseline.name.toLowerCase().includes(needle) ? [baseline, ...matched] : [];
  if (http.length === 0 && stores.length === 0) {
    const names = [...list, ...storeScenarios].map((s) => s.name);
    throw new Error(
      `no scenario name contains ${JSON.stringify(filter)}; scenarios are:\n  ${names.join('\n  ')}`,
    );
  }
  return { http, stores };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function entryPoint(target) {
  return target === 'baseline'
    ? fileURLToPath(new URL('baseline-server.mjs', import.meta.url))
    : `${ROOT}dist/apps/${target}/main.js`;
}

function processKey(scenario) {
  if (scenario.baseUrl) return `${scenario.target} ${scenario.baseUrl}`;
  const env = Object.entries(scenario.env ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return `${scenario.target} ${JSON.stringify(env)}`;
}

// Only PATH plus explicit values: the developer's shell env must not change what is measured.
function childEnv(port, extra) {
  return {
    PATH: process.env.PATH ?? '',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    ...extra,
    PORT: String(port),
  };
}

function describeExit({ code, signal }) {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

function spawnTarget(target, port, extraEnv) {
  const child = spawn(process.execPath, [entryPoint(target)], {
    cwd: ROOT,
    env: childEnv(port, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = { target, port, baseUrl: `http://127.0.0.1:${port}`, child, output: '', exit: undefined };
  const capture = (chunk) => {
    proc.output = (proc.output + chunk).slice(-OUTPUT_LIMIT);
  };
  child.stdout.setEncoding('utf8').on('data', capture);
  child.stderr.setEncoding('utf8').on('data', capture);
  proc.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      proc.exit = { code, signal };
      running.delete(proc);
      resolve(proc.exit);
    });
  });
  child.once('error', (error) => capture(`\n[spawn error] ${error.message}\n`));
  running.add(proc);
  return proc;
}

function childFailure(proc, reason) {
  const output = proc.output.trim() || '(no output)';
  return new Error(
    `${proc.target} ${reason}\n--- ${proc.target} output ---\n${output}\n--- end of ${proc.target} output ---`,
  );
}

async function isLive(baseUrl) {
  try {
    const response = await fetch(`${baseUrl}/health/live`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function waitForLive(proc) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exit) throw childFailure(proc, `${describeExit(proc.exit)} before /health/live answered`);
    if (await isLive(proc.baseUrl)) return;
    await sleep(100);
  }
  throw childFailure(proc, `did not answer GET /health/live with 200 within ${START_TIMEOUT_MS / 1000} s`);
}

async function startTarget(scenario) {
  // A server the scenario module runs itself (e.g. the upstream an app calls, measured directly): nothing to spawn.
  if (scenario.baseUrl) return { target: scenario.target, baseUrl: scenario.baseUrl, external: true };
  const script = entryPoint(scenario.target);
  if (!existsSync(script)) {
    throw new Error(
      `${script} does not exist; build the apps first (npx nx run-many -t build --projects=tag:type:app)`,
    );
  }
  const proc = spawnTarget(scenario.target, await freePort(), scenario.env ?? {});
  try {
    await waitForLive(proc);
  } catch (error) {
    await stopProcess(proc);
    throw error;
  }
  return proc;
}

async function stopProcess(proc) {
  if (proc.exit || proc.external) return;
  proc.child.kill('SIGTERM');
  const stopped = await Promise.race([proc.exited, sleep(STOP_TIMEOUT_MS).then(() => false)]);
  if (stopped) return;
  console.error(`warning: ${proc.target} ignored SIGTERM for ${STOP_TIMEOUT_MS / 1000} s; killing it`);
  proc.child.kill('SIGKILL');
  await proc.exited;
}

function stopAll() {
  return Promise.all([...running].map(stopProcess));
}

function mergeRequest(request, patch = {}) {
  return { ...request, ...patch, headers: { ...request.headers, ...patch.headers } };
}

function wireRequest(request) {
  const headers = { ...request.headers };
  let body = request.body;
  if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
    body = JSON.stringify(body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  }
  return { method: request.method.toUpperCase(), path: request.path, headers, body };
}

function isExpected(scenario, status) {
  return scenario.expectedStatus === undefined
    ? status >= 200 && status < 300
    : status === scenario.expectedStatus;
}

async function probe(scenario, baseUrl, request) {
  const response = await fetch(baseUrl + request.path, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  if (!isExpected(scenario, response.status)) {
    const wanted = scenario.expectedStatus ?? '2xx';
    throw new Error(
      `probe ${request.method} ${request.path} answered ${response.status}, expected ${wanted}: ${text.slice(0, 500)}`,
    );
  }
}

async function load(baseUrl, request, { connections, duration }) {
  const errorMessages = new Map();
  const instance = autocannon({
    url: baseUrl + request.path,
    method: request.method,
    headers: request.headers,
    body: request.body,
    connections,
    duration,
  });
  const latencies = [];
  // autocannon's histogram has 1 ms resolution, too coarse for sub-millisecond p50s, so keep exact timings.
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  instance.on('reqError', (error) => {
    const message = error?.code ?? error?.message ?? String(error);
    errorMessages.set(message, (errorMessages.get(message) ?? 0) + 1);
  });
  currentLoad = instance;
  try {
    const result = await instance;
    return { result, latencies, errorMessages: Object.fromEntries(errorMessages) };
  } finally {
    currentLoad = undefined;
  }
}

function unexpectedResponses(scenario, statusCodeStats) {
  return Object.entries(statusCodeStats ?? {})
    .filter(([status]) => !isExpected(scenario, Number(status)))
    .reduce((sum, [, { count }]) => sum + count, 0);
}

function summarize(scenario, { result, latencies, errorMessages }) {
  const sorted = Float64Array.from(latencies).sort();
  return {
    rps: result.requests.average,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: result.errors,
    timeouts: result.timeouts,
    unexpected: unexpectedResponses(scenario, result.statusCodeStats),
    total: result.requests.total,
    statusCodeStats: result.statusCodeStats,
    errorMessages,
    raw: {
      requests: result.requests,
      latency: result.latency,
      throughput: result.throughput,
      duration: result.duration,
      start: result.start,
      finish: result.finish,
    },
  };
}

function problemsOf(scenario, stats) {
  const problems = [];
  if (stats.total === 0) problems.push('no request completed');
  if (stats.errors > 0) {
    problems.push(
      `${stats.errors} errors (${stats.timeouts} timeouts) ${JSON.stringify(stats.errorMessages)}`,
    );
  }
  if (stats.unexpected > 0) {
    problems.push(
      `${stats.unexpected} unexpected responses, status codes ${JSON.stringify(stats.statusCodeStats)}`,
    );
  }
  return problems;
}

async function measure(scenario, proc, options) {
  const patch = scenario.setup
    ? await scenario.setup({ baseUrl: proc.baseUrl, target: scenario.target, request: scenario.request })
    : undefined;
  const request = wireRequest(mergeRequest(scenario.request, patch));
  await probe(scenario, proc.baseUrl, request);
  const connections = scenario.connections ?? options.connections;
  if (options.warmup > 0) {
    await load(proc.baseUrl, request, { connections, duration: options.warmup });
  }
  const stats = summarize(scenario, await load(proc.baseUrl, request, { ...options, connections }));
  if (proc.exit) throw childFailure(proc, `${describeExit(proc.exit)} during the measurement`);
  const problems = problemsOf(scenario, stats);
  if (problems.length > 0) return { ...stats, error: problems.join('; ') };
  return stats;
}

function lastUses(list) {
  const last = new Map();
  list.forEach((scenario, index) => last.set(processKey(scenario), index));
  return last;
}

async function runAll(list, options) {
  const processes = new Map();
  const lastUse = lastUses(list);
  const rows = [];
  for (const [index, scenario] of list.entries()) {
    const key = processKey(scenario);
    process.stderr.write(`▶ ${scenario.name} ... `);
    const row = { scenario };
    try {
      if (!processes.has(key)) processes.set(key, startTarget(scenario));
      const proc = await processes.get(key);
      Object.assign(row, await measure(scenario, proc, options));
    } catch (error) {
      row.error = error.message;
    }
    process.stderr.write(row.error ? 'FAILED\n' : `${Math.round(row.rps)} req/s\n`);
    if (row.error) console.error(`\n✖ ${scenario.name} FAILED: ${row.error}\n`);
    rows.push(row);
    if (lastUse.get(key) === index) await processes.get(key).then(stopProcess, () => {});
  }
  return rows;
}

function missedTargets(row, baselineRps) {
  const { scenario } = row;
  if (row.rps === undefined) return ['no measurement'];
  const missed = [];
  if (scenario.minRatio !== undefined && row.ratio === undefined) {
    missed.push(`ratio unknown (baseline ${baselineRps === undefined ? 'failed' : 'is 0'})`);
  } else if (scenario.minRatio !== undefined && row.ratio < scenario.minRatio) {
    missed.push(`ratio ${row.ratio.toFixed(2)} < ${scenario.minRatio}`);
  }
  if (scenario.maxP99Ms !== undefined && row.p99 > scenario.maxP99Ms) {
    missed.push(`p99 ${formatMs(row.p99)} ms > ${scenario.maxP99Ms} ms`);
  }
  if (scenario.maxAddedP50Ms !== undefined && row.addedP50 === undefined) {
    missed.push(`added p50 unknown (${JSON.stringify(scenario.comparedTo)} not measured)`);
  } else if (scenario.maxAddedP50Ms !== undefined && row.addedP50 > scenario.maxAddedP50Ms) {
    missed.push(`p50 ${formatMs(row.addedP50)} ms above ${JSON.stringify(scenario.comparedTo)} > ${scenario.maxAddedP50Ms} ms`);
  }
  return missed;
}

function evaluateTargets(row, baselineRps) {
  const { minRatio, maxP99Ms, maxAddedP50Ms } = row.scenario;
  if (minRatio === undefined && maxP99Ms === undefined && maxAddedP50Ms === undefined) return undefined;
  const missed = missedTargets(row, baselineRps);
  return { met: missed.length === 0, missed };
}

function finishRows(rows) {
  const baselineRps = rows.find((row) => row.scenario === baseline && !row.error)?.rps;
  for (const row of rows) {
    if (row.rps !== undefined && baselineRps) row.ratio = row.rps / baselineRps;
    const compared = rows.find((other) => other.scenario.name === row.scenario.comparedTo);
    if (row.p50 !== undefined && compared?.p50 !== undefined) row.addedP50 = row.p50 - compared.p50;
    row.targets = evaluateTargets(row, baselineRps);
  }
  return rows;
}

const COLUMNS = [
  { title: 'scenario', align: 'left', cell: (row) => row.scenario.name },
  {
    title: 'req/s',
    align: 'right',
    cell: (row) => (row.rps === undefined ? 'FAILED' : Math.round(row.rps).toString()),
  },
  { title: 'p50 ms', align: 'right', cell: (row) => formatMs(row.p50) },
  { title: 'p99 ms', align: 'right', cell: (row) => formatMs(row.p99) },
  { title: '+p50 ms', align: 'right', cell: (row) => formatMs(row.addedP50) },
  {
    title: 'errors/non-2xx',
    align: 'right',
    cell: (row) => (row.errors === undefined ? '-' : `${row.errors}/${row.unexpected}`),
  },
  {
    title: '× baseline',
    align: 'right',
    cell: (row) => (row.ratio === undefined ? '-' : row.ratio.toFixed(2)),
  },
  {
    title: 'target',
    align: 'left',
    cell: (row) => (row.targets === undefined ? '-' : row.targets.met ? 'met' : 'MISSED'),
  },
];

function missedTargetLines(rows) {
  return rows
    .filter((row) => row.targets && !row.targets.met)
    .map((row) => `${row.scenario.name} (${row.targets.missed.join(', ')})`);
}

function targetSummary(rows) {
  if (!rows.some((row) => row.targets)) return undefined;
  const missed = missedTargetLines(rows);
  return missed.length === 0 ? 'All targets met.' : `Targets MISSED: ${missed.join('; ')}`;
}

function failureLines(rows) {
  return rows.filter((row) => row.error).map((row) => `${row.scenario.name}: ${row.error.split('\n')[0]}`);
}

function cpuTicks() {
  return cpus().reduce(
    (sum, { times }) => {
      const total = times.user + times.nice + times.sys + times.irq + times.idle;
      return { busy: sum.busy + total - times.idle, total: sum.total + total };
    },
    { busy: 0, total: 0 },
  );
}

// The load average lags by minutes, so sample what other processes use right now instead.
async function busyCpusBeforeStart() {
  const before = cpuTicks();
  await sleep(1_000);
  const after = cpuTicks();
  const share = (after.busy - before.busy) / (after.total - before.total || 1);
  return Number((share * cpus().length).toFixed(2));
}

async function environment(options) {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpuList[0]?.model?.trim() ?? 'unknown',
    cpuCount: availableParallelism(),
    busyCpusAtStart: await busyCpusBeforeStart(),
    connections: options.connections,
    duration: options.duration,
    warmup: options.warmup,
    filter: options.filter ?? null,
  };
}

function httpMarkdownSection(rows, env) {
  const failures = failureLines(rows);
  const summary = targetSummary(rows);
  return [
    '## HTTP load',
    '',
    `- Load: ${env.connections} connections (unless a scenario names its own) for ${env.duration} s per scenario (after ${env.warmup} s warm-up), one scenario at a time`,
    '',
    markdownTable(COLUMNS, rows),
    '',
    '`× baseline` is req/s divided by the bare Fastify server measured in the same run. `+p50 ms` is the p50 minus that of the scenario it is compared to (`comparedTo`), measured in the same run.',
    ...(summary ? ['', summary] : []),
    ...(failures.length ? ['', '**Failed scenarios:**', '', ...failures.map((line) => `- ${line}`)] : []),
  ];
}

function markdownReport(rows, storeResult, env) {
  const sections = [
    ...(rows.length ? [httpMarkdownSection(rows, env)] : []),
    ...(storeResult ? [storeMarkdownSection(storeResult)] : []),
  ];
  return [
    '# Benchmark results',
    '',
    `- Date: ${env.date}`,
    `- Node: ${env.node}`,
    `- CPU: ${env.cpu} × ${env.cpuCount} (${env.busyCpusAtStart} CPUs busy with other work at start)`,
    ...(env.filter ? [`- Filter: \`${env.filter}\``] : []),
    ...sections.flatMap((section) => ['', ...section]),
    '',
  ].join('\n');
}

function jsonReport(rows, storeResult, env) {
  return {
    ...env,
    scenarios: rows.map(({ scenario, ...row }) => ({
      name: scenario.name,
      target: scenario.target,
      method: scenario.request.method,
      path: scenario.request.path,
      connections: scenario.connections ?? env.connections,
      minRatio: scenario.minRatio,
      maxP99Ms: scenario.maxP99Ms,
      comparedTo: scenario.comparedTo,
      maxAddedP50Ms: scenario.maxAddedP50Ms,
      ...row,
    })),
    rateLimitStores: storeResult ? storeJson(storeResult) : undefined,
  };
}

async function writeReports(rows, storeResult, env) {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(`${RESULTS_DIR}latest.md`, markdownReport(rows, storeResult, env));
  await writeFile(
    `${RESULTS_DIR}latest.json`,
    `${JSON.stringify(jsonReport(rows, storeResult, env), null, 2)}\n`,
  );
}

function printReport(rows, storeResult) {
  const storeRows = storeResult?.rows ?? [];
  if (rows.length) console.log(textTable(COLUMNS, rows));
  const summary = targetSummary(rows);
  if (summary) console.log(`\n${summary}`);
  if (storeRows.length) {
    console.log(`${rows.length ? '\n' : ''}rate-limit store decisions\n\n${storeTextTable(storeRows)}`);
  }
  const failures = [...failureLines(rows), ...storeFailureLines(storeRows)];
  if (failures.length) {
    console.error(`\n✖ ${failures.length} scenario(s) FAILED:\n  ${failures.join('\n  ')}`);
  }
}

// Other work on a 2-core machine (a build, a test run) halves the numbers; say so rather than mislead.
function warnIfBusy(env) {
  if (env.busyCpusAtStart > 0.25) {
    console.error(
      `warning: other processes keep ${env.busyCpusAtStart} of ${env.cpuCount} CPUs busy; the numbers will be skewed`,
    );
  }
}

function handleSignals() {
  let stopping = false;
  const onSignal = (signal) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping load and child processes`);
    currentLoad?.stop();
    // The store bench stops at its next decision and deletes its Redis keys before the exit.
    storeBenchAbort.abort();
    Promise.all([stopAll(), currentStoreBench?.catch(() => {})]).finally(() =>
      process.exit(signal === 'SIGINT' ? 130 : 143),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort if the bench dies on an unexpected path: never leave servers holding ports.
  process.on('exit', () => running.forEach((proc) => proc.child.kill('SIGKILL')));
}

async function main() {
  handleSignals();
  const options = readOptions();
  validateScenarios(allScenarios);
  const { http, stores } = selectScenarios(allScenarios, options.filter);
  const env = await environment(options);
  warnIfBusy(env);
  let rows = [];
  if (http.length > 0) {
    console.error(
      `Benchmarking ${http.length} HTTP scenario(s): ${options.connections} connections, ${options.duration} s each (+${options.warmup} s warm-up)`,
    );
    rows = finishRows(await runAll(http, options));
  }
  let storeResult;
  if (stores.length > 0 && !storeBenchAbort.signal.aborted) {
    const { concurrency, duration, warmup } = options.stores;
    console.error(
      `Benchmarking ${stores.length} rate-limit store scenario(s): ${concurrency} decisions in flight, ${duration} s each (+${warmup} s warm-up)`,
    );
    currentStoreBench = runStoreBench(stores, options.stores, { signal: storeBenchAbort.signal });
    storeResult = await currentStoreBench;
  }
  // Interrupted: the signal handler exits once the children are stopped; a partial report would mislead.
  if (storeBenchAbort.signal.aborted) return 1;
  await writeReports(rows, storeResult, env);
  printReport(rows, storeResult);
  console.error(`\nWrote ${fileURLToPath(new URL('results/latest.md', import.meta.url))} and latest.json`);
  return [...rows, ...(storeResult?.rows ?? [])].some((row) => row.error) ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`✖ bench failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
