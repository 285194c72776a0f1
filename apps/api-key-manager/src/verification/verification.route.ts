import { Injectable } from '@nestjs/common';
import { FastRoutes, type JsonSchema, annotateRequest } from '@auth-platform/platform';
import { SERVICE_SCHEME, ServiceKeys } from '../auth/service-key.guard';
import { keysHttpError } from '../keys/keys-exception.filter';
import { storageHttpError } from '../storage/storage-exception.filter';
import { VerificationCode, VerificationService } from './verification.service';
import { parseVerifyRequest } from './verify-request';

/** Documents the verify body; parseVerifyRequest checks it (same rules and messages as the DTOs elsewhere). */
const verifyRequestSchema: JsonSchema = {
  type: 'object',
  required: ['key'],
  properties: {
    key: { type: 'string', description: 'The key a client presented (X-API-Key).', example: 'permas_live_4eC39HqLyjWDarjtT1zdp7dcK2tGk0nM1DwaxK' },
    required_scopes: { type: 'array', items: { type: 'string' }, description: 'Scopes the key must all carry.', example: ['api:access'] },
    client_ip: { type: 'string', description: "The client's address, checked against the key's ip_restrictions.", example: '203.0.113.7' },
  },
};

const verifyResponseSchema: JsonSchema = {
  type: 'object',
  required: ['valid', 'code', 'key_id', 'provider_id', 'environment', 'scopes', 'expires_at'],
  properties: {
    valid: { type: 'boolean', description: 'True only for code VALID.' },
    code: {
      type: 'string',
      enum: Object.values(VerificationCode),
      description:
        'VALID; MALFORMED (bad format or checksum, refused without a storage lookup); NOT_FOUND; REVOKED; EXPIRED (also after a rotation grace period); IP_NOT_ALLOWED; INSUFFICIENT_SCOPES.',
    },
    key_id: { type: 'string', nullable: true, format: 'uuid' },
    provider_id: { type: 'string', nullable: true },
    environment: { type: 'string', nullable: true, enum: ['test', 'live', null] },
    scopes: { type: 'array', items: { type: 'string' } },
    expires_at: { type: 'string', nullable: true, format: 'date-time', description: 'When the key stops working; null if it does not expire.' },
  },
};

/**
 * POST /auth/keys/verify, the hot path every gateway call goes through: a platform fast route (no Nest guard,
 * pipe or interceptor chain; the response serialized from its schema).
 */
@Injectable()
export class VerificationRoute {
  constructor(fastRoutes: FastRoutes, serviceKeys: ServiceKeys, verification: VerificationService) {
    fastRoutes.add({
      method: 'POST',
      url: '/auth/keys/verify',
      response: verifyResponseSchema,
      mapError: (error) => keysHttpError(storageHttpError(error)),
      docs: {
        summary: 'Verify a key',
        description: 'For gateways and services, with a service key from VERIFY_API_KEYS. Always 200 with a code; counts toward the key usage.',
        tags: ['verification'],
        security: [SERVICE_SCHEME],
        requestBody: verifyRequestSchema,
        responses: {
          400: 'The body is not { key, required_scopes?, client_ip? }; the message names the field.',
          401: 'Missing or invalid service key.',
          503: 'Key storage is unavailable and the key is not in the cache.',
        },
      },
      handler: async (request) => {
        serviceKeys.authenticate(request);
        const input = parseVerifyRequest(request.body);
        const result = await verification.verify({ key: input.key, requiredScopes: input.requiredScopes, clientIp: input.clientIp, endpoint: 'verify' });
        const record = result.record;
        annotateRequest(request, { event: 'key_verify', key_id: record?.id, code: result.code, cache: result.cache });
        return {
          valid: result.code === VerificationCode.VALID,
          code: result.code,
          key_id: record?.id ?? null,
          provider_id: record?.providerId ?? null,
          environment: result.environment ?? null,
          scopes: record ? record.scopes : [],
          expires_at: result.expiresAt === undefined ? null : new Date(result.expiresAt).toISOString(),
        };
      },
    });
  }
}
