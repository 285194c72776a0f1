import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** The parts of a service account key file this service uses. */
export interface ServiceAccount {
  readonly clientEmail: string;
  readonly privateKey: string;
  readonly privateKeyId?: string;
  readonly projectId?: string;
  /** Where the JWT-bearer grant is posted; Google's endpoint unless the key file says otherwise. */
  readonly tokenUri: string;
}

export class ServiceAccountError extends Error {}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ServiceAccountError(`cannot read the key file ${path} (${(error as NodeJS.ErrnoException).code ?? 'read error'})`);
  }
}

function parseJson(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's own message quotes the input, which holds the private key.
    throw new ServiceAccountError('the key is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ServiceAccountError('the key is not a JSON object');
  return value as Record<string, unknown>;
}

function text(json: Record<string, unknown>, field: string): string | undefined {
  const value = json[field];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * A service account key given as the JSON itself or as a path to it (the seed accepted both). Checks what would
 * otherwise fail on the first token request: the type, the email, a private key that parses, an https token_uri.
 */
export function loadServiceAccount(jsonOrPath: string): ServiceAccount {
  const json = parseJson(/^\s*[[{]/.test(jsonOrPath) ? jsonOrPath : readKeyFile(jsonOrPath.trim()));
  if (json['type'] !== 'service_account') throw new ServiceAccountError('"type" is not "service_account"');
  const clientEmail = text(json, 'client_email');
  if (!clientEmail) throw new ServiceAccountError('"client_email" is missing');
  const privateKey = text(json, 'private_key');
  if (!privateKey) throw new ServiceAccountError('"private_key" is missing');
  try {
    const key = createPrivateKey(privateKey);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw new ServiceAccountError('"private_key" is not a valid RSA private key in PEM form');
  }
  const tokenUri = text(json, 'token_uri') ?? GOOGLE_TOKEN_URL;
  let parsed: URL;
  try {
    parsed = new URL(tokenUri);
  } catch {
    throw new ServiceAccountError('"token_uri" is not a URL');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname))) {
    throw new ServiceAccountError('"token_uri" must be https (plain http only for a local endpoint)');
  }
  return { clientEmail, privateKey, privateKeyId: text(json, 'private_key_id'), projectId: text(json, 'project_id'), tokenUri };
}
