import { hasCredentialedUrl, isSecretName } from './secret-names';

describe('isSecretName', () => {
  it.each([
    'API_KEY',
    'API_KEYS',
    'ADMIN_API_KEY',
    'API_KEY_SERVER_PRODUCT_KEYS',
    'API_KEY_SERVER_CLIENT_HMAC_SECRETS',
    'API_KEY_SERVER_REDIS_URL',
    'AZURE_STORAGE_CONNECTION_STRING',
    'API_KEY_HASH_PEPPER',
    'DATABASE_URL',
    'KEYCLOAK_CLIENT_SECRET',
    'AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY',
    'API_AUTH_PASSWORD',
    'API_AUTH_TOKEN',
    'SERVICE_ACCOUNT_JSON',
    'KC_BOOTSTRAP_ADMIN_PASSWORD',
  ])('%s is a secret', (name) => expect(isSecretName(name)).toBe(true));

  it.each([
    'API_KEY_PREFIX',
    'API_KEY_SERVER_REDIS_PREFIX',
    'API_KEY_SERVER_OPENAI_BASE_URL',
    'API_KEY_SERVER_MAX_TOKENS',
    'TOKEN_RATE_LIMIT_PER_MINUTE',
    'TOKEN_REFRESH_MARGIN_SECONDS',
    'KEYCLOAK_CLIENT_ID',
    'KEYCLOAK_SERVER_URL',
    'API_KEYS_FILE',
    'POSTGRES_HOST_AUTH_METHOD',
  ])('%s is configuration', (name) => expect(isSecretName(name)).toBe(false));
});

describe('hasCredentialedUrl', () => {
  it('finds a password in a URL', () => {
    expect(hasCredentialedUrl('postgres://vault:s3cret@db:5432/vault')).toBe(true);
    expect(hasCredentialedUrl('redis://:s3cret@redis:6379')).toBe(true);
  });

  it('lets a URL without a password through', () => {
    expect(hasCredentialedUrl('postgres://postgres@postgres:5432/auth_manager')).toBe(false);
    expect(hasCredentialedUrl('https://api.openai.com/v1/chat/completions')).toBe(false);
  });
});
