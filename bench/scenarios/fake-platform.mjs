// A local login API and platform API for the executor-auth scenarios, with the seed's login contract. It runs in
// a worker thread: sharing the bench process's event loop with autocannon would slow both down and blur the
// "direct" numbers the executor-auth ones are compared to.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const ROLE = 'executor-auth-fake-platform';

if (!isMainThread && workerData?.role === ROLE) serve(workerData.port);

/** Starts the fake on `port` of 127.0.0.1 in a worker thread; resolves once it listens. */
export function startFakePlatform({ port }) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, port } });
  worker.unref();
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
}

function serve(port) {
  const tokens = new Set();
  const clusters = JSON.stringify({
    items: Array.from({ length: 10 }, (_, i) => ({
      id: `c-${i}`,
      name: `cluster-${i}`,
      region: 'eu-west',
      status: 'running',
    })),
  });
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/login') {
      req.resume();
      req.on('end', () => {
        const token = `bench-${randomBytes(16).toString('hex')}`;
        tokens.add(token);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 200, accessToken: token, expires_in: 3600 }));
      });
      return;
    }
    req.resume();
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"invalid_token"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(clusters);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1', () => parentPort.postMessage('listening'));
}
