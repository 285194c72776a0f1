import { isIP } from 'node:net';
import { BadRequestException } from '@nestjs/common';

export interface VerifyInput {
  readonly key: string;
  readonly requiredScopes?: readonly string[];
  readonly clientIp?: string;
}

const FIELDS = new Set(['key', 'required_scopes', 'client_ip']);
const MAX_KEY_LENGTH = 512;
const MAX_SCOPES = 50;
const MAX_SCOPE_LENGTH = 100;

/**
 * Checks a verify body by hand: this is the hot path, and the generic class-validator pipe costs more than the
 * whole cached verification. Same rules and messages as the pipe: unknown properties are refused.
 */
export function parseVerifyRequest(body: unknown): VerifyInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('Request body must be a JSON object with a key');
  }
  const fields = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const name in fields) if (!FIELDS.has(name)) problems.push(`property ${name} should not exist`);
  const { key, required_scopes: scopes, client_ip: clientIp } = fields;
  if (typeof key !== 'string') problems.push('key must be a string');
  else if (key.length > MAX_KEY_LENGTH) problems.push(`key must be at most ${MAX_KEY_LENGTH} characters`);
  if (scopes !== undefined) {
    if (!Array.isArray(scopes) || scopes.length > MAX_SCOPES) problems.push(`required_scopes must be an array of at most ${MAX_SCOPES} strings`);
    else if (!scopes.every((scope) => typeof scope === 'string' && scope.length > 0 && scope.length <= MAX_SCOPE_LENGTH)) {
      problems.push(`each value in required_scopes must be a string of 1-${MAX_SCOPE_LENGTH} characters`);
    }
  }
  if (clientIp !== undefined && (typeof clientIp !== 'string' || isIP(clientIp) === 0)) problems.push('client_ip must be an IPv4 or IPv6 address');
  if (problems.length > 0) throw new BadRequestException(problems.join('; '));
  return { key: key as string, requiredScopes: scopes as string[] | undefined, clientIp: clientIp as string | undefined };
}
