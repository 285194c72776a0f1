// Signs a user in at the dev IdP the way a browser would (authorization-code flow with PKCE, the login and consent
// forms of dev-idp.mjs) and returns the tokens the client gets. The bench uses it to obtain refresh tokens, and a
// newcomer can use it to get one to try `POST /tokens`:
//
//   node apps/auth-manager/scripts/dev-idp-sign-in.mjs alice            # prints {"refresh_token": ..., ...}
//   node apps/auth-manager/scripts/dev-idp-sign-in.mjs alice --offline  # scope openid offline_access
//
// Defaults match dev-idp.mjs's; DEV_IDP_ISSUER, DEV_IDP_CLIENT_ID, DEV_IDP_CLIENT_SECRET and DEV_IDP_REDIRECT_URI
// override them. Development only: it prints tokens.
import { pathToFileURL } from 'node:url';
import * as oidc from 'openid-client';

function cookieJar() {
  const cookies = new Map();
  return async (url, init = {}) => {
    const headers = { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
    let body;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const split = pair.indexOf('=');
      cookies.set(pair.slice(0, split), pair.slice(split + 1));
    }
    return response;
  };
}

export async function signInAtDevIdp({
  issuer,
  clientId,
  clientSecret,
  redirectUri,
  user,
  password = user,
  scope = 'openid',
}) {
  const config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, {
    execute: issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
  });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const authorization = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    ...(scope.split(' ').includes('offline_access') ? { prompt: 'consent' } : {}),
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const go = cookieJar();
  const origin = new URL(issuer).origin;
  let response = await go(authorization);
  for (let step = 0; step < 10; step++) {
    const location = response.headers.get('location');
    if (!location) throw new Error(`dev IdP answered HTTP ${response.status} instead of a redirect`);
    const next = new URL(location, issuer);
    if (next.origin !== origin) {
      const tokens = await oidc.authorizationCodeGrant(config, new URL(`${redirectUri}${next.search}`), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      return {
        refresh_token: tokens.refresh_token,
        access_token: tokens.access_token,
        scope: tokens.scope,
        sub: tokens.claims()?.sub,
      };
    }
    if (next.pathname.includes('/interaction/')) {
      const page = await (await go(next)).text();
      const login = page.includes(`action="${next.pathname}/login"`);
      response = await go(new URL(`${next.pathname}/${login ? 'login' : 'confirm'}`, next), {
        method: 'POST',
        form: login ? { username: user, password } : {},
      });
      if (response.status === 401) throw new Error(`dev IdP refused the password of ${user}`);
    } else {
      response = await go(next);
    }
  }
  throw new Error('too many redirects at the dev IdP');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [user = 'alice', ...flags] = process.argv.slice(2);
  signInAtDevIdp({
    issuer: process.env.DEV_IDP_ISSUER ?? 'http://127.0.0.1:8080/realms/dev',
    clientId: process.env.DEV_IDP_CLIENT_ID ?? 'auth-manager',
    clientSecret: process.env.DEV_IDP_CLIENT_SECRET ?? 'dev-idp-client-secret',
    redirectUri: process.env.DEV_IDP_REDIRECT_URI ?? 'http://localhost:8004/offline/callback',
    user,
    scope: flags.includes('--offline') ? 'openid offline_access' : 'openid',
  }).then(
    (tokens) => process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`),
    (error) => {
      process.stderr.write(`sign-in failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}
