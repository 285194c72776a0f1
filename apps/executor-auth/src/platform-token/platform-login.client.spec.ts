import { Agent } from 'undici';
import { FakeLoginApi } from '../../test/support/fake-login';
import { type PlatformLoginRequest, loginToPlatform } from './platform-login.client';
import { PlatformTokenErrorCode } from './platform-token.exception';

const hints = {
  credentials: 'check API_AUTH_EMAIL and API_AUTH_PASSWORD',
  authUrl: 'check API_AUTH_URL',
  staticToken: '',
};

describe('loginToPlatform against a local login API', () => {
  const api = new FakeLoginApi();
  const dispatcher = new Agent();
  const options = { dispatcher, timeoutMs: 2000, ttlSeconds: 3600 };
  const request = (
    variant: Record<string, string> = {},
    overrides: Partial<PlatformLoginRequest> = {},
  ): PlatformLoginRequest => ({
    authUrl: api.loginUrl(variant),
    email: api.email,
    password: api.password,
    hints,
    ...overrides,
  });
  const login = (
    variant: Record<string, string> = {},
    overrides: Partial<PlatformLoginRequest> = {},
    timeoutMs = 2000,
  ) => loginToPlatform(request(variant, overrides), { ...options, timeoutMs }, new AbortController().signal);

  beforeAll(() => api.start());
  afterAll(async () => {
    await api.stop();
    await dispatcher.destroy();
  });
  afterEach(() => api.clearFaults());

  it.each(['accessToken', 'access_token', 'token', 'authToken'])('reads the token from %s', async (field) => {
    const token = await login({ field, kind: 'opaque' });
    expect(api.tokens.all()).toContain(token.value);
    expect(token.value).toMatch(/^opaque-/);
  });

  it("takes the expiry from the JWT's exp, else expires_in, else the TTL", async () => {
    const before = Date.now();
    const jwt = await login({ kind: 'jwt', lifetime: '900', expires_in: '60' });
    expect(jwt.expirySource).toBe('jwt_exp');
    expect(Math.abs(jwt.expiresAt - (before + 900_000))).toBeLessThan(5000);
    const opaque = await login({ kind: 'opaque', expires_in: '120', expires_in_type: 'string' });
    expect(opaque).toMatchObject({ expirySource: 'expires_in', expiresAt: opaque.obtainedAt + 120_000 });
    const noExp = await login({ kind: 'jwt-no-exp', expires_in: '300' });
    expect(noExp).toMatchObject({ expirySource: 'expires_in', expiresAt: noExp.obtainedAt + 300_000 });
    const bare = await login({ kind: 'opaque' });
    expect(bare).toMatchObject({ expirySource: 'ttl', expiresAt: bare.obtainedAt + 3_600_000 });
  });

  it.each<[string, () => Promise<unknown>, PlatformTokenErrorCode, string]>([
    [
      'a wrong password',
      () => login({}, { password: 'wrong' }),
      PlatformTokenErrorCode.CREDENTIALS_REJECTED,
      'The platform rejected the login (HTTP 401): check API_AUTH_EMAIL and API_AUTH_PASSWORD',
    ],
    [
      'a 401 inside an HTTP 200',
      () => login({ embedded: '401' }),
      PlatformTokenErrorCode.CREDENTIALS_REJECTED,
      'check API_AUTH_EMAIL and API_AUTH_PASSWORD',
    ],
    [
      'no token field',
      () => login({ field: 'none' }),
      PlatformTokenErrorCode.LOGIN_RESPONSE_INVALID,
      'the login response has none of the fields accessToken, access_token, token, authToken',
    ],
    [
      'a 500',
      () => (api.failNext(1, 'error500'), login()),
      PlatformTokenErrorCode.LOGIN_UNAVAILABLE,
      'the login API answered HTTP 500',
    ],
    [
      'a 404',
      () => (api.failNext(1, 'error404'), login()),
      PlatformTokenErrorCode.LOGIN_REFUSED,
      'the login API answered HTTP 404 (check API_AUTH_URL)',
    ],
    [
      'an HTML page',
      () => (api.failNext(1, 'not-json'), login()),
      PlatformTokenErrorCode.LOGIN_RESPONSE_INVALID,
      'the login response is not JSON',
    ],
    [
      'a hanging login API',
      () => (api.failNext(1, 'hang'), login({}, {}, 300)),
      PlatformTokenErrorCode.LOGIN_UNAVAILABLE,
      'did not answer within 0.3 s (API_EXECUTOR_TIMEOUT)',
    ],
    [
      'nothing listening',
      () => login({}, { authUrl: 'http://127.0.0.1:1/login' }),
      PlatformTokenErrorCode.LOGIN_UNAVAILABLE,
      'could not reach the login API (ECONNREFUSED)',
    ],
  ])('classifies %s', async (_case, attempt, code, message) => {
    const error = await attempt().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain(api.password);
  });

  it('posts the email and password as JSON, nothing else', async () => {
    await login();
    expect(api.attempts.at(-1)).toMatchObject({ email: api.email, status: 200 });
  });
});
