import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer, readRequestBody, sendJson } from './local-http-server';
import type { IssuedTokens } from './issued-tokens';

export interface PlatformRequest {
  readonly method: string;
  /** Path and query exactly as they arrived. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly bearer?: string;
  readonly accepted: boolean;
}

/**
 * A local stand-in for a platform API. Every request needs `Authorization: Bearer <token>` with a token the fake
 * login API issued, not expired and not revoked, else 401. Accepted requests are echoed back (method, url,
 * headers, body) so tests can see what the service really sent; a few paths under the API root behave
 * otherwise: `/hang` never answers, `/status/<code>` answers that status, `/binary`, `/text` and `/large?bytes=N`
 * return such bodies, `/auth-headers` returns Set-Cookie and WWW-Authenticate.
 */
export class FakePlatformApi {
  readonly requests: PlatformRequest[] = [];
  /** Reject every token, fresh ones included. */
  rejectAll = false;
  private readonly server = new LocalServer((req, res) => this.handle(req, res));

  constructor(
    private readonly tokens: IssuedTokens,
    private readonly root = '/api',
  ) {}

  get url(): string {
    return this.server.url;
  }

  /** The most recent request, which a test expects to exist. */
  get last(): PlatformRequest {
    const request = this.requests.at(-1);
    if (!request) throw new Error('the platform API has received no request');
    return request;
  }

  /** The API root, as API_EXECUTOR_BASE_URL. */
  get baseUrl(): string {
    return `${this.server.url}${this.root}`;
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readRequestBody(req);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const accepted = !this.rejectAll && bearer !== undefined && this.tokens.accepts(bearer);
    const url = req.url ?? '/';
    this.requests.push({ method: req.method ?? '', url, headers: req.headers, body, bearer, accepted });
    if (!accepted) {
      return sendJson(
        res,
        401,
        { error: 'invalid_token', message: 'The access token is invalid or has expired' },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    }
    const parsed = new URL(url, this.url);
    const path = parsed.pathname.startsWith(`${this.root}/`)
      ? parsed.pathname.slice(this.root.length)
      : parsed.pathname;
    if (path === '/hang') return;
    const status = /^\/status\/(\d{3})$/.exec(path)?.[1];
    if (status) return sendJson(res, Number(status), { error: `status ${status}`, detail: 'as asked' });
    if (path === '/binary') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(Buffer.from([0, 1, 2, 253, 254, 255]));
    }
    if (path === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('plain text, héllo');
    }
    if (path === '/large') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('x'.repeat(Number(parsed.searchParams.get('bytes') ?? 1024)));
    }
    if (path === '/auth-headers') {
      return sendJson(
        res,
        200,
        { ok: true },
        {
          'set-cookie': ['session=platform-session-secret; HttpOnly'],
          'www-authenticate': 'Bearer realm="platform"',
          'x-platform-trace': 't-1',
        },
      );
    }
    sendJson(
      res,
      200,
      { method: req.method, url, headers: req.headers, body },
      { 'x-platform-trace': 't-1' },
    );
  }
}
