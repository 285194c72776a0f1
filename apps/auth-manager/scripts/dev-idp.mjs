// A development identity provider for auth-manager, built on oidc-provider and set up like a Keycloak realm:
// issuer <origin>/realms/<realm>, confidential clients, refresh-token rotation, offline_access, introspection,
// revocation, and Keycloak's admin endpoint for ending a session. For local trials and the tests, never for
// production: users, keys and sessions live in memory and disappear when it stops.
//
//   node apps/auth-manager/scripts/dev-idp.mjs          (or `npm run dev:idp` where the script is wired)
//
// Settings come from the environment: DEV_IDP_PORT (8080), DEV_IDP_HOST (127.0.0.1), DEV_IDP_PUBLIC_ORIGIN (the
// origin clients reach it at, when that is a proxy), and DEV_IDP_CONFIG, a JSON object overriding any of the
// defaults below. It prints one JSON line per event on stdout (`listening`, grants,
// revocations, admin calls) so that a test can count refresh grants; it never prints a token.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const defaults = {
  realm: 'dev',
  clients: [
    {
      client_id: 'auth-manager',
      client_secret: 'dev-idp-client-secret',
      redirect_uris: ['http://localhost:8004/offline/callback'],
      access_token_ttl_seconds: 300,
    },
  ],
  admin_client: { client_id: 'auth-manager-admin', client_secret: 'dev-idp-admin-secret' },
  // user name -> password; the user name is also the subject (`sub`), which auth-manager calls user_id.
  users: { alice: 'alice', bob: 'bob' },
  refresh_token_ttl_seconds: 1800,
  offline_token_ttl_seconds: 30 * 24 * 3600,
};

function readSettings() {
  let overrides = {};
  if (process.env.DEV_IDP_CONFIG) {
    try {
      overrides = JSON.parse(process.env.DEV_IDP_CONFIG);
    } catch {
      process.stderr.write('dev-idp: DEV_IDP_CONFIG is not valid JSON\n');
      process.exit(1);
    }
  }
  const port = Number(process.env.DEV_IDP_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write('dev-idp: DEV_IDP_PORT must be a port number\n');
    process.exit(1);
  }
  const host = process.env.DEV_IDP_HOST ?? '127.0.0.1';
  const settings = { ...defaults, ...overrides, port, host };
  // Behind a reverse proxy the issuer is the proxy's address, not the listening one.
  const origin =
    process.env.DEV_IDP_PUBLIC_ORIGIN?.replace(/\/+$/, '') ??
    `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return { ...settings, issuer: `${origin}/realms/${settings.realm}`, prefix: `/realms/${settings.realm}` };
}

const settings = readSettings();

function emit(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

const escapeHtml = (text) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

const clientTtl = new Map(settings.clients.map((c) => [c.client_id, c.access_token_ttl_seconds ?? 300]));
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const provider = new Provider(settings.issuer, {
  clients: [
    ...settings.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    {
      client_id: settings.admin_client.client_id,
      client_secret: settings.admin_client.client_secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'dev-idp', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: { openid: ['sub', 'sid'], profile: ['preferred_username'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    // Like Keycloak, any client of the realm may introspect any of its tokens.
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
  },
  // Keycloak rotates refresh tokens ("Revoke Refresh Token") and issues one with every code exchange.
  rotateRefreshToken: true,
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: (_ctx, _token, client) => clientTtl.get(client.clientId) ?? 300,
    ClientCredentials: 300,
    RefreshToken: (_ctx, token) =>
      token.scopes.has('offline_access')
        ? settings.offline_token_ttl_seconds
        : settings.refresh_token_ttl_seconds,
    Session: settings.offline_token_ttl_seconds,
    Grant: settings.offline_token_ttl_seconds,
    Interaction: 600,
    AuthorizationCode: 60,
    IdToken: 3600,
  },
  findAccount: async (_ctx, sub) =>
    Object.hasOwn(settings.users, sub)
      ? { accountId: sub, claims: async () => ({ sub, preferred_username: sub }) }
      : undefined,
  interactions: { url: (_ctx, interaction) => `${settings.prefix}/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>dev-idp error</title><h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? '')}</p>`;
  },
});
provider.proxy = false;
// Keycloak puts the session id (`sid`) in every token; oidc-provider only does for back-channel logout clients.
provider.Client.prototype.includeSid = () => true;

// oidc-provider's sid is per client and session; Keycloak's admin API ends a session by that id.
const sessionBySid = new Map();
provider.on('authorization.success', (ctx) => {
  const session = ctx.oidc.session;
  for (const authorization of Object.values(session?.authorizations ?? {})) {
    if (authorization.sid) sessionBySid.set(authorization.sid, session.uid);
  }
});

provider.on('grant.success', (ctx) =>
  emit('grant.success', { grant_type: ctx.oidc.params?.grant_type, client_id: ctx.oidc.client?.clientId }),
);
provider.on('grant.error', (ctx, error) =>
  emit('grant.error', { grant_type: ctx.oidc.params?.grant_type, error: error.error }),
);
provider.on('introspection.error', (_ctx, error) => emit('introspection.error', { error: error.error }));
provider.on('revocation.error', (_ctx, error) => emit('revocation.error', { error: error.error }));
provider.on('server_error', (_ctx, error) => emit('server_error', { message: error.message }));

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, contentType, body) {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/** Login and consent pages: plain forms, so a test (or curl) can drive them over HTTP. */
async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  const base = `${settings.prefix}/interaction/${uid}`;
  if (req.method === 'GET') {
    if (details.prompt.name === 'login') {
      return send(
        res,
        200,
        'text/html; charset=utf-8',
        page(
          'Sign in to the dev realm',
          `<form method="post" action="${base}/login"><label>User <input name="username" autofocus></label> <label>Password <input name="password" type="password"></label> <button>Sign in</button></form><p>Users: ${Object.keys(settings.users).map(escapeHtml).join(', ')} (password = user name unless configured otherwise)</p>`,
        ),
      );
    }
    const scopes = String(details.params.scope ?? '')
      .split(' ')
      .filter(Boolean);
    return send(
      res,
      200,
      'text/html; charset=utf-8',
      page(
        `Grant ${details.params.client_id} access?`,
        `<p>Scopes: ${scopes.map(escapeHtml).join(', ')}</p><form method="post" action="${base}/confirm"><button>Allow</button></form><form method="post" action="${base}/abort"><button>Deny</button></form>`,
      ),
    );
  }
  if (action === 'login') {
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    if (!Object.hasOwn(settings.users, username) || settings.users[username] !== form.get('password')) {
      emit('login.failed');
      return send(
        res,
        401,
        'text/html; charset=utf-8',
        page('Wrong user name or password', `<a href="${base}">Try again</a>`),
      );
    }
    emit('login.success', { sub: username });
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: username } },
      { mergeWithLastSubmission: false },
    );
  }
  if (action === 'confirm') {
    await readForm(req);
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details.missingOIDCScope;
    if (missing) grant.addOIDCScope(missing.join(' '));
    const missingClaims = details.prompt.details.missingOIDCClaims;
    if (missingClaims) grant.addOIDCClaims(missingClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }
  if (action === 'abort') {
    await readForm(req);
    return provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user denied the request' },
      { mergeWithLastSubmission: false },
    );
  }
  return send(res, 404, 'text/plain', 'not found');
}

/** Keycloak's `DELETE /admin/realms/<realm>/sessions/<sid>`, authorised by the admin client's access token. */
async function adminDeleteSession(req, res, sid) {
  const bearer = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const token = bearer ? await provider.ClientCredentials.find(bearer) : undefined;
  if (!token || token.clientId !== settings.admin_client.client_id) {
    emit('admin.unauthorized');
    return send(res, 401, 'application/json', JSON.stringify({ error: 'HTTP 401 Unauthorized' }));
  }
  const uid = sessionBySid.get(sid);
  const session = uid ? await provider.Session.findByUid(uid) : undefined;
  if (!session) {
    emit('admin.session.not_found', { sid });
    return send(res, 404, 'application/json', JSON.stringify({ error: 'Session not found' }));
  }
  await session.destroy();
  emit('admin.session.deleted', { sid });
  res.writeHead(204);
  res.end();
}

const callback = provider.callback();
const interactionPath = new RegExp(`^${settings.prefix}/interaction/([\\w-]+)(?:/(login|confirm|abort))?$`);
const adminSessionPath = new RegExp(`^/admin/realms/${settings.realm}/sessions/([^/?]+)$`);

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?', 1)[0];
  const handled = (() => {
    const interactionMatch = interactionPath.exec(path);
    if (interactionMatch) return interaction(req, res, interactionMatch[1], interactionMatch[2]);
    const adminMatch = adminSessionPath.exec(path);
    if (adminMatch && req.method === 'DELETE')
      return adminDeleteSession(req, res, decodeURIComponent(adminMatch[1]));
    if (
      req.method === 'POST' &&
      (path === `${settings.prefix}/token/revocation` || path === `${settings.prefix}/token/introspection`)
    ) {
      // oidc-provider emits no event for these; the tests count them.
      const kind = path.endsWith('revocation') ? 'revocation' : 'introspection';
      res.once('finish', () => res.statusCode === 200 && emit(`${kind}.success`));
    }
    if (path === settings.prefix || path.startsWith(`${settings.prefix}/`)) {
      // Mounted under /realms/<realm>, as Keycloak serves a realm; oidc-provider reads the mount from originalUrl.
      req.originalUrl = req.url;
      req.url = req.url.slice(settings.prefix.length) || '/';
      return callback(req, res);
    }
    send(res, 404, 'application/json', JSON.stringify({ error: 'not found' }));
    return undefined;
  })();
  Promise.resolve(handled).catch((error) => {
    emit('handler_error', { message: error.message });
    if (!res.headersSent) send(res, 400, 'text/plain', error.message);
  });
});

server.listen(settings.port, settings.host, () => {
  const { port } = server.address();
  emit('listening', { issuer: settings.issuer, port });
  const [client] = settings.clients;
  process.stderr.write(
    [
      `dev IdP (development only) at ${settings.issuer}`,
      `  users: ${Object.keys(settings.users).join(', ')} (password = user name unless configured otherwise)`,
      `  for auth-manager: KEYCLOAK_ISSUER=${settings.issuer} KEYCLOAK_CLIENT_ID=${client?.client_id} KEYCLOAK_CLIENT_SECRET=${client?.client_secret}`,
      `  admin client: KEYCLOAK_ADMIN_CLIENT_ID=${settings.admin_client.client_id} KEYCLOAK_ADMIN_CLIENT_SECRET=${settings.admin_client.client_secret}`,
      '',
    ].join('\n'),
  );
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
