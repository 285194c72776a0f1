import Fastify from 'fastify';

function readPort() {
  const raw = process.argv[2] ?? process.env.PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(
      `baseline-server: expected a port (1-65535) as argv[2] or PORT, got ${JSON.stringify(raw)}`,
    );
    process.exit(1);
  }
  return port;
}

function stopOnSignals(app) {
  const stop = () =>
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

const app = Fastify({ logger: false });
app.get('/health/live', async () => ({ status: 'ok' }));

try {
  await app.listen({ port: readPort(), host: '127.0.0.1' });
  stopOnSignals(app);
} catch (error) {
  console.error('baseline-server: failed to start:', error);
  process.exit(1);
}
