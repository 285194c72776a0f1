// A local token endpoint for the gcp-token scenarios: the bench measures the cached path, so it only has to
// answer the first JWT-bearer grant. (The e2e tests use a stricter fake that verifies the assertion.)
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

export async function startFakeGoogle() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `ya29.bench-${randomBytes(8).toString('hex')}`, expires_in: 3600, token_type: 'Bearer' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serviceAccountJson = JSON.stringify({
    type: 'service_account',
    client_email: 'bench@bench-project.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    token_uri: `http://127.0.0.1:${server.address().port}/token`,
  });
  return { serviceAccountJson };
}
