import { type KeyObject, generateKeyPairSync } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { ConfigService } from '@nestjs/config';
import { type JWTPayload, SignJWT, base64url, exportJWK } from 'jose';
import { loadEnv } from '@auth-platform/config';
import { type LlmProxyEnv, llmProxyEnv } from '../config/env';
import { ClientAuthErrorCode, ClientAuthException } from './client-auth.exception';
import { ClientJwtVerifier } from './client-jwt.verifier';

const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyA = pair();
const keyB = pair();
const stranger = pair();
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const NOW = Math.floor(Date.now() / 1000);

function sign(
  privateKey: KeyObject,
  claims: JWTPayload,
  header: Record<string, unknown> = { alg: 'RS256', kid: 'kid-a' },
): Promise<string> {
  return new SignJWT({ product: 'product-a', sub: 'user-1', iat: NOW, exp: NOW + 600, ...claims })
    .setProtectedHeader(header as { alg: string })
    .sign(privateKey);
}

async function verifier(env: Record<string, string> = {}): Promise<ClientJwtVerifier> {
  const { values } = loadEnv(llmProxyEnv, {
    API_KEY_SERVER_JWT_PUBLIC_KEYS: JSON.stringify({ 'kid-a': pem(keyA.publicKey) }),
    ...env,
  });
  const instance = new ClientJwtVerifier(new ConfigService<LlmProxyEnv, true>(values));
  await instance.onModuleInit();
  return instance;
}

async function refusal(promise: Promise<unknown>): Promise<ClientAuthException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ClientAuthException);
    return error as ClientAuthException;
  }
  throw new Error('expected the token to be refused');
}

describe('ClientJwtVerifier', () => {
  it('accepts an RS256 token from the PEM map: sub is the user, the product claim the product', async () => {
    const jwt = await verifier();
    expect(await jwt.verifyClientJwt(await sign(keyA.privateKey, {}))).toEqual({
      scheme: 'jwt',
      product: 'product-a',
      user: 'user-1',
    });
  });

  it('reads the product from the claim API_KEY_SERVER_JWT_PRODUCT_CLAIM names', async () => {
    const jwt = await verifier({ API_KEY_SERVER_JWT_PRODUCT_CLAIM: 'app' });
    const token = await sign(keyA.privateKey, { app: 'product-b' });
    expect((await jwt.verifyClientJwt(token)).product).toBe('product-b');
    expect(
      (await refusal(jwt.verifyClientJwt(await sign(keyA.privateKey, { product: undefined })))).message,
    ).toBe('token has no "app" claim naming the product');
  });

  it.each([
    [
      'an unknown kid',
      () => sign(keyA.privateKey, {}, { alg: 'RS256', kid: 'kid-zz' }),
      'unknown key id "kid-zz"',
    ],
    ['no kid', () => sign(keyA.privateKey, {}, { alg: 'RS256' }), 'token header has no kid'],
    ['a signature by another key', () => sign(stranger.privateKey, {}), 'token signature is invalid'],
    [
      'an expired token',
      () => sign(keyA.privateKey, { iat: NOW - 900, exp: NOW - 300 }),
      'token has expired',
    ],
    ['no exp', () => sign(keyA.privateKey, { exp: undefined }), 'token has no "exp" claim'],
    ['no sub', () => sign(keyA.privateKey, { sub: undefined }), 'token has no "sub" claim'],
    ['a future nbf', () => sign(keyA.privateKey, { nbf: NOW + 300 }), 'token "nbf" claim check failed'],
    [
      'a future iat',
      () => sign(keyA.privateKey, { iat: NOW + 300, exp: NOW + 900 }),
      'token "iat" is in the future',
    ],
    [
      'a lifetime over the maximum',
      () => sign(keyA.privateKey, { iat: NOW, exp: NOW + 3601 }),
      'token lifetime exceeds 3600 seconds',
    ],
    [
      'a long lifetime without iat',
      () => sign(keyA.privateKey, { iat: undefined, exp: NOW + 7200 }),
      'token lifetime exceeds 3600 seconds',
    ],
    [
      'no product',
      () => sign(keyA.privateKey, { product: undefined }),
      'token has no "product" claim naming the product',
    ],
    ['a garbage token', async () => 'not.a.jwt', 'token is malformed'],
  ])('refuses %s with a 401 reason that does not quote the token', async (_case, token, message) => {
    const jwt = await verifier();
    const presented = await token();
    const error = await refusal(jwt.verifyClientJwt(presented));
    expect(error.code).toBe(ClientAuthErrorCode.INVALID_TOKEN);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain(presented);
  });

  it('refuses the alg swap: HS256 signed with the public key as the secret', async () => {
    const jwt = await verifier();
    const forged = await new SignJWT({ product: 'product-a', sub: 'user-1', iat: NOW, exp: NOW + 600 })
      .setProtectedHeader({ alg: 'HS256', kid: 'kid-a' })
      .sign(new TextEncoder().encode(pem(keyA.publicKey)));
    expect((await refusal(jwt.verifyClientJwt(forged))).message).toBe('token alg must be RS256');
  });

  it('refuses alg none', async () => {
    const jwt = await verifier();
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    const unsigned = `${encode({ alg: 'none', kid: 'kid-a' })}.${encode({ product: 'product-a', sub: 'u', iat: NOW, exp: NOW + 60 })}.`;
    expect((await refusal(jwt.verifyClientJwt(unsigned))).message).toBe('token alg must be RS256');
  });

  it('checks iss and aud when they are configured', async () => {
    const jwt = await verifier({
      API_KEY_SERVER_JWT_ISSUER: 'https://issuer.test',
      API_KEY_SERVER_JWT_AUDIENCE: 'llm-proxy',
    });
    expect(
      await jwt.verifyClientJwt(
        await sign(keyA.privateKey, { iss: 'https://issuer.test', aud: 'llm-proxy' }),
      ),
    ).toMatchObject({ user: 'user-1' });
    expect(
      (
        await refusal(
          jwt.verifyClientJwt(await sign(keyA.privateKey, { iss: 'https://evil.test', aud: 'llm-proxy' })),
        )
      ).message,
    ).toBe('token "iss" claim check failed');
    expect(
      (
        await refusal(
          jwt.verifyClientJwt(await sign(keyA.privateKey, { iss: 'https://issuer.test', aud: 'other' })),
        )
      ).message,
    ).toBe('token "aud" claim check failed');
  });

  it('honours the clock tolerance on exp', async () => {
    const jwt = await verifier({ API_KEY_SERVER_JWT_CLOCK_TOLERANCE_SECONDS: '60' });
    const token = await sign(keyA.privateKey, { iat: NOW - 600, exp: NOW - 30 });
    expect(await jwt.verifyClientJwt(token)).toMatchObject({ user: 'user-1' });
    const strict = await verifier({ API_KEY_SERVER_JWT_CLOCK_TOLERANCE_SECONDS: '0' });
    expect((await refusal(strict.verifyClientJwt(token))).message).toBe('token has expired');
  });

  it('trusts a verified token again for at most a minute, and never past its exp', async () => {
    const jwt = await verifier({ API_KEY_SERVER_JWT_CLOCK_TOLERANCE_SECONDS: '0' });
    const token = await sign(keyA.privateKey, { exp: NOW + 30 });
    const now = Date.now();
    await jwt.verifyClientJwt(token, now);
    expect(await jwt.verifyClientJwt(token, now + 20_000)).toMatchObject({ user: 'user-1' });
    const error = await refusal(jwt.verifyClientJwt(token, (NOW + 31) * 1000));
    expect(error.message).toBe('token has expired');
  });

  describe('with a JWKS', () => {
    let server: Server;
    let fetches = 0;
    let keys: Record<string, unknown>[] = [];
    let url = '';

    beforeAll(async () => {
      keys = [{ ...(await exportJWK(keyB.publicKey)), kid: 'kid-b', alg: 'RS256', use: 'sig' }];
      server = createServer((_req, res) => {
        fetches++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('picks the key by kid, and refetches on an unknown kid at most once a minute', async () => {
      const jwt = await verifier({ API_KEY_SERVER_JWKS_URL: url });
      expect(
        await jwt.verifyClientJwt(await sign(keyB.privateKey, {}, { alg: 'RS256', kid: 'kid-b' })),
      ).toMatchObject({ user: 'user-1' });
      expect(await jwt.verifyClientJwt(await sign(keyA.privateKey, { sub: 'pem-user' }))).toMatchObject({
        user: 'pem-user',
      });
      expect(fetches).toBe(1);
      for (let i = 0; i < 3; i++) {
        const unknown = await sign(stranger.privateKey, { sub: `u${i}` }, { alg: 'RS256', kid: 'kid-new' });
        expect((await refusal(jwt.verifyClientJwt(unknown))).message).toBe('no key matches the token kid');
      }
      expect(fetches).toBe(1);
    });

    it('finds a key added to the JWKS with one refetch once the minute has passed', async () => {
      const jwt = await verifier({ API_KEY_SERVER_JWKS_URL: url });
      const before = fetches;
      await jwt.verifyClientJwt(await sign(keyB.privateKey, {}, { alg: 'RS256', kid: 'kid-b' }));
      keys.push({ ...(await exportJWK(stranger.publicKey)), kid: 'kid-c', alg: 'RS256', use: 'sig' });
      const rotated = await sign(stranger.privateKey, {}, { alg: 'RS256', kid: 'kid-c' });
      expect((await refusal(jwt.verifyClientJwt(rotated))).message).toBe('no key matches the token kid');
      const later = Date.now() + 61_000;
      const clock = jest.spyOn(Date, 'now').mockReturnValue(later);
      try {
        expect(await jwt.verifyClientJwt(rotated, later)).toMatchObject({ user: 'user-1' });
      } finally {
        clock.mockRestore();
      }
      expect(fetches).toBe(before + 2);
    });

    it('says the key set is unavailable (503, not 401) when it cannot be fetched', async () => {
      const jwt = await verifier({
        API_KEY_SERVER_JWT_PUBLIC_KEYS: '',
        API_KEY_SERVER_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      });
      const error = await refusal(
        jwt.verifyClientJwt(await sign(keyB.privateKey, {}, { alg: 'RS256', kid: 'kid-b' })),
      );
      expect(error.code).toBe(ClientAuthErrorCode.KEY_SET_UNAVAILABLE);
    });
  });
});
