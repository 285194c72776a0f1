import { type Server, createServer } from 'node:http';
import * as oidc from 'openid-client';
import { IdentityProviderErrorCode } from './identity-provider.exception';
import { classifyProviderError } from './identity-provider.client';

/** A token endpoint that answers whatever the test asks for, to see how each failure is classified. */
describe('classifyProviderError against a real HTTP endpoint', () => {
  let server: Server;
  let base: string;
  let answer: { status: number; body: string; type?: string; hang?: boolean } = { status: 200, body: '{}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      if (answer.hang) return;
      res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });

  function configuration(issuer = base): oidc.Configuration {
    const config = new oidc.Configuration({ issuer, token_endpoint: `${issuer}/token` }, 'client', 'secret');
    oidc.allowInsecureRequests(config);
    config.timeout = 1;
    return config;
  }

  async function refreshFailure(issuer?: string) {
    try {
      await oidc.refreshTokenGrant(configuration(issuer), 'refresh-token');
    } catch (error) {
      return classifyProviderError(error);
    }
    throw new Error('expected the grant to fail');
  }

  it('reads invalid_grant as a dead token', async () => {
    answer = {
      status: 400,
      body: JSON.stringify({ error: 'invalid_grant', error_description: 'Token is not active' }),
    };
    expect(await refreshFailure()).toMatchObject({ code: IdentityProviderErrorCode.INVALID_GRANT });
  });

  it("reads invalid_client as this service's misconfiguration, naming the variables", async () => {
    answer = { status: 401, body: JSON.stringify({ error: 'invalid_client' }) };
    const error = await refreshFailure();
    expect(error.code).toBe(IdentityProviderErrorCode.PROVIDER_REJECTED_REQUEST);
    expect(error.message).toContain('check KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET');
  });

  it('reads a 5xx, with or without an OAuth body, as the provider being unavailable', async () => {
    answer = { status: 503, body: '<html>maintenance</html>', type: 'text/html' };
    expect(await refreshFailure()).toMatchObject({
      code: IdentityProviderErrorCode.PROVIDER_UNAVAILABLE,
      reason: 'upstream_5xx',
    });
    answer = { status: 500, body: JSON.stringify({ error: 'server_error' }) };
    expect(await refreshFailure()).toMatchObject({ code: IdentityProviderErrorCode.PROVIDER_UNAVAILABLE });
  });

  it('reads a malformed success as a rejected request, not as an outage', async () => {
    answer = { status: 200, body: 'not json', type: 'text/plain' };
    expect(await refreshFailure()).toMatchObject({
      code: IdentityProviderErrorCode.PROVIDER_REJECTED_REQUEST,
    });
  });

  it('reads a hang past the timeout and a refused connection as unavailable', async () => {
    answer = { status: 200, body: '{}', hang: true };
    expect(await refreshFailure()).toMatchObject({
      code: IdentityProviderErrorCode.PROVIDER_UNAVAILABLE,
      reason: 'timeout',
    });
    expect(await refreshFailure('http://127.0.0.1:1')).toMatchObject({
      code: IdentityProviderErrorCode.PROVIDER_UNAVAILABLE,
      reason: 'network',
    });
  });

  it('never puts the OAuth error description in the message', async () => {
    answer = {
      status: 400,
      body: JSON.stringify({ error: 'invalid_request', error_description: 'token abc.def.ghi is odd' }),
    };
    const error = await refreshFailure();
    expect(error.message).toBe('The identity provider refused the request (invalid_request)');
  });
});
