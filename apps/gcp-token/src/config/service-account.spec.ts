import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GOOGLE_TOKEN_URL, ServiceAccountError, loadServiceAccount } from './service-account';

/** Built, not written out, so no file here looks like it holds a key. */
const PEM_HEADER = `-----BEGIN ${'PRIVATE'} KEY-----`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const key = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'service_account', client_email: 'sa@p.iam.gserviceaccount.com', private_key: pem, ...overrides });

function reasonOf(input: string): string {
  try {
    loadServiceAccount(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceAccountError);
    return (error as Error).message;
  }
  throw new Error('expected the key to be refused');
}

describe('loadServiceAccount', () => {
  it('reads the JSON itself, defaulting token_uri to Google', () => {
    expect(loadServiceAccount(key())).toMatchObject({ clientEmail: 'sa@p.iam.gserviceaccount.com', tokenUri: GOOGLE_TOKEN_URL });
  });

  it('reads a path to the key file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sa-')), 'key.json');
    writeFileSync(file, key({ token_uri: 'https://oauth2.example.test/token' }));
    expect(loadServiceAccount(file).tokenUri).toBe('https://oauth2.example.test/token');
  });

  it('explains each kind of bad key without quoting it', () => {
    expect(reasonOf(`{"private_key": "${PEM_HEADER}`)).toBe('the key is not valid JSON');
    expect(reasonOf('[]')).toBe('the key is not a JSON object');
    expect(reasonOf(key({ type: 'authorized_user' }))).toBe('"type" is not "service_account"');
    expect(reasonOf(key({ client_email: '' }))).toBe('"client_email" is missing');
    expect(reasonOf(key({ private_key: 'MIIE...' }))).toBe('"private_key" is not a valid RSA private key in PEM form');
    expect(reasonOf(key({ token_uri: 'http://oauth2.example.test/token' }))).toBe('"token_uri" must be https (plain http only for a local endpoint)');
    expect(reasonOf('/no/such/key.json')).toBe('cannot read the key file /no/such/key.json (ENOENT)');
  });

  it('accepts a plain-http token_uri only on the loopback interface', () => {
    expect(loadServiceAccount(key({ token_uri: 'http://127.0.0.1:9999/token' })).tokenUri).toBe('http://127.0.0.1:9999/token');
  });
});
