import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { LocalServer, readRequestBody, sendJson } from './local-http-server';
import { IssuedTokens } from './issued-tokens';

/** What the next logins do instead of answering normally, consumed one per login. */
export type LoginFault = 'error500' | 'error503' | 'hang' | 'not-json' | 'error404';

export interface LoginAttempt {
  readonly at: number;
  readonly email: string;
  /** The login URL's query: which variant a profile asked for. */
  readonly variant: string;
  readonly status: number | 'hang';
}

const signingKey = new TextEncoder().encode('fake-login-signing-key-0123456789abcdef');

/**
 * A local stand-in for the upstream platform's login API, with the seed's contract: `POST {email, password}`
 * answers `{statusCode: 200, accessToken}`, or 401 for a wrong password. The login URL's query picks a variant,
 * so each profile of one app can see a different one:
 *
 * - `field=accessToken|access_token|token|authToken|none` names the field holding the token (none: no token),
 * - `kind=jwt` (a JWT with `exp`, default), `jwt-no-exp`, or `opaque`,
 * - `lifetime=<s>` how long the platform accepts the token (default 3600),
 * - `expires_in=<s>` adds `expires_in` to the response (as a string when `expires_in_type=string`),
 * - `embedded=<status>` answers HTTP 200 with that status in the body's `statusCode` and no token.
 *
 * Issued tokens go to `tokens`, which the fake platform API checks. `failNext` scripts faults (5xx, hangs, bad
 * bodies); `hold` keeps successful logins waiting until released.
 */
export class FakeLoginApi {
  readonly email = 'service-user@example.test';
  readonly password = 'fake-password-Zq7!x';
  readonly attempts: LoginAttempt[] = [];
  private readonly faults: LoginFault[] = [];
  private gate?: Promise<void>;
  private openGate?: () => void;
  private readonly server = new LocalServer((req, res) => this.handle(req, res));

  constructor(readonly tokens: IssuedTokens = new IssuedTokens()) {}

  get url(): string {
    return this.server.url;
  }

  /** The login URL of a variant, e.g. loginUrl({ field: 'token', kind: 'opaque', expires_in: '120' }). */
  loginUrl(variant: Record<string, string> = {}): string {
    const query = new URLSearchParams(variant).toString();
    return `${this.url}/portalservice/api/v1/getAuthToken${query ? `?${query}` : ''}`;
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    this.release();
    return this.server.stop();
  }

  failNext(count: number, fault: LoginFault): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Successful logins wait from now until release(). */
  hold(): void {
    this.gate ??= new Promise<void>((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
    this.openGate = undefined;
  }

  /** Resolves once `count` login attempts in total have arrived. */
  async waitForAttempts(count: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.attempts.length + this.arrived < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} login attempts, saw ${this.attempts.length + this.arrived}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private arrived = 0;

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method !== 'POST' || url.pathname !== '/portalservice/api/v1/getAuthToken')
      return sendJson(res, 404, { message: 'not found' });
    const raw = await readRequestBody(req);
    const variant = url.searchParams;
    let body: { email?: unknown; password?: unknown } = {};
    try {
      body = JSON.parse(raw) as typeof body;
    } catch {
      return sendJson(res, 400, { statusCode: 400, message: 'body must be JSON' });
    }
    const record = (status: number | 'hang') =>
      this.attempts.push({ at: Date.now(), email: String(body.email), variant: variant.toString(), status });
    const fault = this.faults.shift();
    if (fault === 'hang') {
      record('hang');
      return;
    }
    if (fault === 'error500' || fault === 'error503' || fault === 'error404') {
      const status = Number(fault.slice(5));
      record(status);
      return sendJson(res, status, { statusCode: status, message: 'login backend failed' });
    }
    if (fault === 'not-json') {
      record(200);
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html>maintenance</html>');
    }
    if (body.email !== this.email || body.password !== this.password) {
      record(401);
      return sendJson(res, 401, { statusCode: 401, message: 'Invalid email or password' });
    }
    const embedded = variant.get('embedded');
    if (embedded) {
      record(200);
      return sendJson(res, 200, { statusCode: Number(embedded), message: 'Invalid credentials' });
    }
    if (this.gate) {
      this.arrived += 1;
      await this.gate;
      this.arrived -= 1;
    }
    record(200);
    sendJson(res, 200, await this.issue(variant));
  }

  private async issue(variant: URLSearchParams): Promise<Record<string, unknown>> {
    const lifetime = Number(variant.get('lifetime') ?? 3600);
    const kind = variant.get('kind') ?? 'jwt';
    const expiresAt = Date.now() + lifetime * 1000;
    const nonce = randomBytes(8).toString('hex');
    const token =
      kind === 'opaque'
        ? `opaque-${nonce}`
        : await (
            kind === 'jwt'
              ? new SignJWT({ jti: nonce }).setExpirationTime(Math.floor(expiresAt / 1000))
              : new SignJWT({ jti: nonce })
          )
            .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
            .setSubject(this.email)
            .setIssuedAt()
            .sign(signingKey);
    this.tokens.issue(token, expiresAt);
    const response: Record<string, unknown> = { statusCode: 200 };
    const field = variant.get('field') ?? 'accessToken';
    if (field !== 'none') response[field] = token;
    const expiresIn = variant.get('expires_in');
    if (expiresIn !== null)
      response['expires_in'] = variant.get('expires_in_type') === 'string' ? expiresIn : Number(expiresIn);
    return response;
  }
}
