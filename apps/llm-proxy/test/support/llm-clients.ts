import { type KeyObject, generateKeyPairSync, randomUUID } from 'node:crypto';
import { type JWTPayload, SignJWT, exportJWK } from 'jose';
import { signRequest } from '@auth-platform/crypto';
import { type AppProcess, LocalServer, sendJson } from '@auth-platform/testing';

/** An RS256 key pair standing for a client's token issuer. Every token it signs is kept, to grep logs for. */
export class TestIssuer {
  static readonly issued: string[] = [];
  readonly privateKey: KeyObject;
  readonly publicPem: string;
  private readonly publicKey: KeyObject;

  constructor(readonly kid: string) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  async jwk(): Promise<Record<string, unknown>> {
    return { ...(await exportJWK(this.publicKey)), kid: this.kid, alg: 'RS256', use: 'sig' };
  }

  /** A token for `user` and `product`, valid for ten minutes unless `claims` say otherwise. */
  async sign(
    claims: JWTPayload & { product?: string } = {},
    header: Record<string, unknown> = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      sub: 'user-1',
      product: 'product-a',
      iat: now,
      exp: now + 600,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, ...header } as { alg: string })
      .sign(this.privateKey);
    TestIssuer.issued.push(token);
    return token;
  }
}

/** A JWKS endpoint that counts how often it is fetched. */
export class JwksServer {
  fetches = 0;
  keys: Record<string, unknown>[] = [];
  private readonly server = new LocalServer((_req, res) => {
    this.fetches++;
    sendJson(res, 200, { keys: this.keys });
  });

  get url(): string {
    return `${this.server.url}/.well-known/jwks.json`;
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

export interface SignedHeadersOptions {
  readonly client: string;
  readonly secret: string;
  readonly product: string;
  readonly user: string;
  readonly body: string;
  readonly nonce?: string | null;
  readonly timestamp?: number;
  readonly path?: string;
  readonly method?: string;
}

/** The HMAC scheme's headers for a request, nonce included unless `nonce: null`. */
export function signedHeaders(options: SignedHeadersOptions): Record<string, string> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce === null ? undefined : (options.nonce ?? randomUUID());
  const signature = signRequest(options.secret, {
    method: options.method ?? 'POST',
    path: options.path ?? '/v1/chat/completions',
    timestamp,
    nonce,
    product: options.product,
    user: options.user,
    body: options.body,
  });
  return {
    'x-client-id': options.client,
    'x-product-id': options.product,
    'x-user-id': options.user,
    'x-timestamp': timestamp,
    ...(nonce === undefined ? {} : { 'x-nonce': nonce }),
    'x-signature': signature,
  };
}

export const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] };

export interface OpenAiError {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string;
  };
}

/** POST /v1/chat/completions; `body` is sent as JSON unless `raw` is given. */
export function postChat(
  app: AppProcess,
  options: {
    token?: string;
    headers?: Record<string, string>;
    body?: unknown;
    raw?: string;
    contentType?: string;
    signal?: AbortSignal;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    ...options.headers,
  };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  return fetch(`${app.url}/v1/chat/completions`, {
    method: 'POST',
    headers,
    body: options.raw ?? JSON.stringify(options.body ?? CHAT),
    signal: options.signal,
  });
}

/** Waits until `probe` holds (log lines and aborts land just after a response). */
export async function eventually(probe: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Fails loudly when an instance decides limits anywhere but in Redis (the machine's Redis is down). */
export async function expectRedisLimits(app: AppProcess): Promise<void> {
  const status = (await (await fetch(`${app.url}/healthz`)).json()) as {
    rate_limit: { store: string; mode: string };
  };
  if (status.rate_limit.store !== 'redis' || status.rate_limit.mode !== 'redis') {
    throw new Error(
      `llm-proxy is not using Redis (${JSON.stringify(status)}): is Redis running at 127.0.0.1:6379?`,
    );
  }
}
