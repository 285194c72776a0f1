import { hash } from 'node:crypto';

/** A non-secret name for a credential, for audit records and logs: the kind and the start of its SHA-256. */
export function credentialFingerprint(kind: 'admin' | 'service', secret: string): string {
  return `${kind}:${hash('sha256', secret, 'hex').slice(0, 12)}`;
}
