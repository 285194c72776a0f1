import type { JsonSchema } from '@auth-platform/platform';

/** The optional body of POST /token. */
export interface TokenRequest {
  readonly scopes?: readonly string[];
  readonly target_service_account?: string;
  readonly lifetime?: number;
}

/** The seed's answer, field for field. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly expires_at: string;
}

export const tokenRequestSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scopes: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: { type: 'string', maxLength: 512 },
      description: 'OAuth scopes for the token; each must be in ALLOWED_SCOPES. Default: all allowed scopes.',
      example: ['https://www.googleapis.com/auth/cloud-platform'],
    },
    target_service_account: {
      type: 'string',
      format: 'email',
      maxLength: 320,
      description: 'Mint for this service account by impersonation; it must be in ALLOWED_TARGET_SERVICE_ACCOUNTS.',
      example: 'reader@my-project.iam.gserviceaccount.com',
    },
    lifetime: {
      type: 'integer',
      minimum: 60,
      maximum: 43_200,
      description: 'Lifetime of an impersonated token in seconds (at most IMPERSONATION_MAX_LIFETIME_SECONDS).',
      example: 3600,
    },
  },
};

export const tokenResponseSchema: JsonSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'expires_at'],
  properties: {
    access_token: { type: 'string', example: 'ya29.a0...' },
    token_type: { type: 'string', example: 'Bearer' },
    expires_in: { type: 'integer', description: 'Seconds until the token expires, counted from now.', example: 3599 },
    expires_at: { type: 'string', description: 'Expiry in UTC, ISO 8601 without a zone suffix, as the seed service sent it.', example: '2024-01-01T12:00:00' },
  },
};
