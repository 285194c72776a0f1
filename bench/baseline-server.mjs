import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
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

/**
 * BASELINE_FLOOR=1 adds what every keyed route of the suite has to do before any app logic, written as plainly as
 * Fastify allows: the platform's API security headers and a request id on every answer, then `POST /token` checks
 * `Authorization: Bearer <FLOOR_API_KEY>` in constant time (one keyed SHA-256, as the crypto lib's SecretSet) and
 * answers a fixed token through a response schema. No Nest, no logger, no metrics, no rate limit: an upper bound
 * for the apps' hot routes on this machine, measured in the same run as the baseline.
 */
function addFloorRoute(app) {
  const headers = {
    'content-security-policy': "default-src 'none';frame-ancestors 'none'",
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
  const comparisonKey = randomBytes(32);
  const digest = (value) =>
    hash('sha256', Buffer.concat([comparisonKey, Buffer.from(value, 'utf16le')]), 'buffer');
  const accepted = digest(process.env.FLOOR_API_KEY ?? '');
  const bearer = /^Bearer (\S+)$/i;
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    reply.header('x-request-id', request.id);
    done();
  });
  const token = {
    access_token: `ya29.floor-${randomBytes(8).toString('hex')}`,
    token_type: 'Bearer',
    expires_in: 3600,
    expires_at: '2030-01-01T00:00:00',
  };
  const response = {
    type: 'object',
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string' },
      expires_in: { type: 'integer' },
      expires_at: { type: 'string' },
    },
  };
  app.post('/token', { schema: { response: { 200: response } } }, async (request, reply) => {
    const presented = bearer.exec(request.headers.authorization ?? '')?.[1];
    if (!presented || !timingSafeEqual(digest(presented), accepted)) {
      reply.code(401).header('www-authenticate', 'Bearer');
      return { error: 'Invalid API key' };
    }
    return token;
  });
}

const floor = process.env.BASELINE_FLOOR === '1';
const app = Fastify({ logger: false, ...(floor ? { genReqId: () => randomUUID() } : {}) });
if (floor) addFloorRoute(app);
app.get('/health/live', async () => ({ status: 'ok' }));

try {
  await app.listen({ port: readPort(), host: '127.0.0.1' });
  stopOnSignals(app);
} catch (error) {
  console.error('baseline-server: failed to start:', error);
  process.exit(1);
}
