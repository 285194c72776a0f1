import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { importSPKI, jwtVerify } from 'jose';
import { LocalServer, readRequestBody, sendJson as send } from './local-http-server';

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

export type FakeGoogleMode = 'ok' | 'error500' | 'hang' | 'invalid-json' | 'invalid-grant';

export interface GoogleTokenGrant {
  readonly scope: string;
  readonly accessToken: string;
}

/**
 * A local stand-in for Google's OAuth2 token endpoint and the IAM Credentials API that behaves like them: the
 * JWT-bearer assertion must be signed by the service account's key (verified with its public half), be addressed
 * to Google's token URL, name the account as issuer and carry a scope; generateAccessToken needs a token this
 * fake issued with the cloud-platform scope.
 */
export class FakeGoogle {
  readonly clientEmail = 'minter@test-project.iam.gserviceaccount.com';
  readonly grants: GoogleTokenGrant[] = [];
  readonly impersonations: { target: string; scope: string[]; lifetime: string }[] = [];
  mode: FakeGoogleMode = 'ok';
  expiresInSeconds = 3600;
  latencyMs = 30;
  private readonly privateKeyPem: string;
  private readonly publicKeyPem: string;
  private readonly issued = new Map<string, string>();
  private readonly server = new LocalServer((req, res) => this.route(req, res));

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  get url(): string {
    return this.server.url;
  }

  /** A service account key file whose token_uri points here. */
  serviceAccountJson(overrides: Record<string, unknown> = {}): string {
    return JSON.stringify({
      type: 'service_account',
      project_id: 'test-project',
      private_key_id: 'test-key-1',
      private_key: this.privateKeyPem,
      client_email: this.clientEmail,
      client_id: '1234567890',
      token_uri: `${this.url}/token`,
      ...overrides,
    });
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readRequestBody(req);
    if (req.url === '/token' && req.method === 'POST') return this.token(body, res);
    const impersonation = /^\/v1\/projects\/-\/serviceAccounts\/([^:]+):generateAccessToken$/.exec(
      req.url ?? '',
    );
    if (impersonation && req.method === 'POST')
      return this.generateAccessToken(decodeURIComponent(impersonation[1] ?? ''), req, body, res);
    send(res, req.url === '/token' ? 405 : 404, { error: 'not_found' });
  }

  private async token(body: string, res: ServerResponse): Promise<void> {
    if (this.mode === 'hang') return;
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return send(res, 400, { error: 'unsupported_grant_type' });
    }
    let scope: string;
    try {
      const { payload } = await jwtVerify(
        form.get('assertion') ?? '',
        await importSPKI(this.publicKeyPem, 'RS256'),
        {
          algorithms: ['RS256'],
          issuer: this.clientEmail,
          audience: GOOGLE_TOKEN_URL,
          maxTokenAge: '1h',
        },
      );
      scope = String(payload['scope'] ?? '');
      if (!scope) throw new Error('no scope');
    } catch {
      return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    if (this.mode === 'error500')
      return send(res, 500, { error: 'internal_failure', error_description: 'backend secret detail 42' });
    if (this.mode === 'invalid-json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"access_token": "ya29.trunc');
    }
    if (this.mode === 'invalid-grant')
      return send(res, 400, { error: 'invalid_grant', error_description: 'account disabled' });
    const accessToken = `ya29.fake-${randomBytes(12).toString('hex')}`;
    this.issued.set(accessToken, scope);
    this.grants.push({ scope, accessToken });
    send(res, 200, { access_token: accessToken, expires_in: this.expiresInSeconds, token_type: 'Bearer' });
  }

  private generateAccessToken(target: string, req: IncomingMessage, body: string, res: ServerResponse): void {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !this.issued.get(bearer)?.split(' ').includes(CLOUD_PLATFORM)) {
      return send(res, 401, {
        error: {
          code: 401,
          status: 'UNAUTHENTICATED',
          message: 'Request had invalid authentication credentials.',
        },
      });
    }
    const request = JSON.parse(body) as { scope: string[]; lifetime: string };
    this.impersonations.push({ target, scope: request.scope, lifetime: request.lifetime });
    const seconds = Number.parseInt(request.lifetime, 10);
    send(res, 200, {
      accessToken: `ya29.impersonated-${randomBytes(8).toString('hex')}`,
      expireTime: new Date(Date.now() + seconds * 1000).toISOString(),
    });
  }
}
