/**
 * Names whose value is a credential: keys, secrets, passwords, a token, and the URLs and connection strings that
 * carry a password. Judged by the end of the name, so `API_KEY_PREFIX`, `TOKEN_RATE_LIMIT_PER_MINUTE`,
 * `API_KEY_SERVER_MAX_TOKENS` (LLM tokens) or `API_KEYS_FILE` (a path) are configuration, while `ADMIN_API_KEY`
 * or `API_KEY_SERVER_REDIS_URL` are secrets.
 */
const SECRET_NAME =
  /(^|_)(KEYS?|SECRETS?|PASSWORD|PASSWD|TOKEN|CREDENTIALS?|PEPPER|CONNECTION_STRING|DATABASE_URL|REDIS_URL|DSN|SERVICE_ACCOUNT(_JSON|_KEY)?)$/;

/** `scheme://user:password@host`: a password inside a URL, whatever the variable is called. */
const CREDENTIALED_URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]+@/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.toUpperCase());
}

export function hasCredentialedUrl(value: string): boolean {
  return CREDENTIALED_URL.test(value);
}
