import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { WORKSPACE_ROOT } from './app-process';
import { freePort } from './free-port';

export const DEV_IDP_SCRIPT = join(WORKSPACE_ROOT, 'apps', 'auth-manager', 'scripts', 'dev-idp.mjs');

export interface IdpClient {
  readonly client_id: string;
  readonly client_secret: string;
  readonly redirect_uris: string[];
  readonly access_token_ttl_seconds?: number;
}

export interface DevIdpSettings {
  readonly clients: IdpClient[];
  readonly admin_client?: { client_id: string; client_secret: string };
  readonly users?: Record<string, string>;
}

export interface IdpEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface SignedIn {
  readonly refreshToken: string;
  readonly accessToken: string;
  readonly sub: string;
  readonly sid?: string;
}

/** A cookie jar good enough for one browser session against the dev IdP. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  async go(url: URL, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = {
      cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const split = pair.indexOf('=');
      const name = pair.slice(0, split);
      const value = pair.slice(split + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

function location(response: Response, base: string): URL {
  const header = response.headers.get('location');
  if (!header) throw new Error(`expected a redirect, got HTTP ${response.status}`);
  return new URL(header, base);
}

/**
 * The dev IdP (apps/auth-manager/scripts/dev-idp.mjs, oidc-provider set up like a Keycloak realm) as a child
 * process: oidc-provider is ESM with many ESM dependencies and does not run inside Jest. Its stdout is one JSON
 * event per line, which the tests count (refresh grants, revocations, admin calls).
 */
export class DevIdp {
  private readonly lines: IdpEvent[] = [];
  private stopped = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly issuer: string,
    readonly settings: DevIdpSettings,
  ) {}

  /** `listen.port` and `listen.publicPort` put it behind a proxy (the issuer then names the proxy's port). */
  static async start(
    settings: DevIdpSettings,
    listen: { port?: number; publicPort?: number } = {},
  ): Promise<DevIdp> {
    const port = listen.port ?? (await freePort());
    const origin = `http://127.0.0.1:${listen.publicPort ?? port}`;
    const child = spawn(process.execPath, [DEV_IDP_SCRIPT], {
      env: {
        PATH: process.env['PATH'] ?? '',
        DEV_IDP_PORT: String(port),
        DEV_IDP_PUBLIC_ORIGIN: origin,
        DEV_IDP_CONFIG: JSON.stringify(settings),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const idp = new DevIdp(child, `${origin}/realms/dev`, settings);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let partial = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dev IdP did not start: ${stderr}`)), 20_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          try {
            const event = JSON.parse(line) as IdpEvent;
            idp.lines.push(event);
            if (event.event === 'listening') {
              clearTimeout(timer);
              resolve();
            }
          } catch {
            // not an event line
          }
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dev IdP exited with ${code}: ${stderr}`));
      });
    });
    return idp;
  }

  events(): IdpEvent[] {
    return [...this.lines];
  }

  count(event: string, fields: Record<string, unknown> = {}): number {
    return this.lines.filter((e) => e.event === event && Object.entries(fields).every(([k, v]) => e[k] === v))
      .length;
  }

  refreshGrants(): number {
    return this.count('grant.success', { grant_type: 'refresh_token' });
  }

  /** SIGSTOP: connections are accepted by the kernel but never answered, as with a hung provider. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.child.kill('SIGCONT');
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  async configuration(client: IdpClient = this.defaultClient()): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(this.issuer), client.client_id, client.client_secret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
  }

  /** Follows an authorization URL through the login and consent pages; returns where the provider redirects back. */
  async approve(
    authorizationUrl: string,
    user: string,
    options: { password?: string; deny?: boolean; browser?: Browser } = {},
  ): Promise<URL> {
    const browser = options.browser ?? new Browser();
    let response = await browser.go(new URL(authorizationUrl));
    for (let step = 0; step < 10; step++) {
      const next = location(response, this.issuer);
      if (!next.href.startsWith(new URL(this.issuer).origin)) return next;
      if (next.pathname.includes('/interaction/')) {
        const page = await (await browser.go(next)).text();
        if (page.includes('action="' + next.pathname + '/login"')) {
          response = await browser.go(new URL(`${next.pathname}/login`, next), {
            method: 'POST',
            form: { username: user, password: options.password ?? this.password(user) },
          });
          if (response.status === 401) throw new Error(`dev IdP refused the sign-in of ${user}`);
        } else {
          response = await browser.go(
            new URL(`${next.pathname}/${options.deny ? 'abort' : 'confirm'}`, next),
            { method: 'POST', form: {} },
          );
        }
      } else {
        response = await browser.go(next);
      }
    }
    throw new Error('too many redirects at the dev IdP');
  }

  /** A full authorization-code flow with PKCE for `client`: the tokens a browser sign-in would give that client. */
  async signIn(
    user: string,
    options: { scope?: string; client?: IdpClient; browser?: Browser } = {},
  ): Promise<SignedIn> {
    const client = options.client ?? this.defaultClient();
    const config = await this.configuration(client);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const scope = options.scope ?? 'openid';
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: client.redirect_uris[0] ?? '',
      scope,
      ...(scope.includes('offline_access') ? { prompt: 'consent' } : {}),
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await this.approve(url.href, user, { browser: options.browser });
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const claims = tokens.claims();
    if (!tokens.refresh_token || !claims) throw new Error('the dev IdP issued no refresh token or ID token');
    return {
      refreshToken: tokens.refresh_token,
      accessToken: tokens.access_token,
      sub: claims.sub,
      sid: claims['sid'] as string | undefined,
    };
  }

  async introspect(
    token: string,
    client: IdpClient = this.defaultClient(),
  ): Promise<Record<string, unknown>> {
    return { ...(await oidc.tokenIntrospection(await this.configuration(client), token)) };
  }

  async revoke(token: string, client: IdpClient = this.defaultClient()): Promise<void> {
    await oidc.tokenRevocation(await this.configuration(client), token, { token_type_hint: 'refresh_token' });
  }

  private defaultClient(): IdpClient {
    const client = this.settings.clients[0];
    if (!client) throw new Error('the dev IdP has no client');
    return client;
  }

  private password(user: string): string {
    return this.settings.users?.[user] ?? user;
  }
}
