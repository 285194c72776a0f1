import { spawn } from 'node:child_process';
import * as jose from 'jose';
import * as client from 'openid-client';
import { freePort } from './free-port';

/**
 * jose 6, openid-client 6 and oidc-provider 9 ship ESM only. These specs prove the shared Jest preset loads
 * the first two in-process, and that oidc-provider (too many ESM dependencies to run inside Jest) runs as a
 * child process the tests talk to over HTTP.
 */
describe('ESM-only dependencies', () => {
  it('jose signs and verifies an RS256 JWT and rejects an unsigned one', async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('RS256');
    const jwt = await new jose.SignJWT({ product: 'p1' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('user-1')
      .setExpirationTime('5m')
      .sign(privateKey);
    const { payload } = await jose.jwtVerify(jwt, publicKey, { algorithms: ['RS256'] });
    expect(payload).toMatchObject({ sub: 'user-1', product: 'p1' });

    const unsigned = new jose.UnsecuredJWT({ sub: 'user-1' }).encode();
    await expect(jose.jwtVerify(unsigned, publicKey, { algorithms: ['RS256'] })).rejects.toThrow();
  });

  describe('openid-client against oidc-provider in a child process', () => {
    let issuer: string;
    let stop: () => void;

    beforeAll(async () => {
      const port = await freePort();
      issuer = `http://127.0.0.1:${port}`;
      const script = `
        import Provider from 'oidc-provider';
        const provider = new Provider(${JSON.stringify(issuer)}, {
          clients: [{ client_id: 'svc', client_secret: 'svc-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
          features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
        });
        provider.listen(${port}, '127.0.0.1', () => process.stdout.write('listening\\n'));
      `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      stop = () => child.kill('SIGTERM');
      await new Promise<void>((resolve, reject) => {
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
        child.once('exit', (code) => reject(new Error(`oidc-provider exited with ${code}: ${stderr}`)));
      });
    });
    afterAll(() => stop?.());

    it('discovers the issuer and obtains a token with the client credentials grant', async () => {
      const config = await client.discovery(new URL(issuer), 'svc', 'svc-secret', undefined, {
        execute: [client.allowInsecureRequests],
      });
      expect(config.serverMetadata().issuer).toBe(issuer);
      const tokens = await client.clientCredentialsGrant(config);
      expect(tokens.access_token).toEqual(expect.any(String));
      expect(tokens.token_type?.toLowerCase()).toBe('bearer');
    });

    it('is refused with a wrong client secret', async () => {
      const config = await client.discovery(new URL(issuer), 'svc', 'wrong-secret', undefined, {
        execute: [client.allowInsecureRequests],
      });
      await expect(client.clientCredentialsGrant(config)).rejects.toMatchObject({ error: 'invalid_client' });
    });
  });
});
