import { HttpStatus, Injectable } from '@nestjs/common';
import { FastRoutes, HttpErrorWithHeaders, annotateRequest } from '@auth-platform/platform';
import { RateLimitService, enforceRateLimit } from '@auth-platform/rate-limit';
import { ApiKeyAuthenticator } from '../auth/api-key.authenticator';
import { TokenErrorCode, TokenException } from './token.exception';
import { type TokenRequest, tokenRequestSchema, tokenResponseSchema } from './token.schema';
import { TokenService } from './token.service';

const STATUS: Record<TokenErrorCode, number> = {
  [TokenErrorCode.NOT_CONFIGURED]: HttpStatus.SERVICE_UNAVAILABLE,
  [TokenErrorCode.SCOPE_NOT_ALLOWED]: HttpStatus.BAD_REQUEST,
  [TokenErrorCode.LIFETIME_TOO_LONG]: HttpStatus.BAD_REQUEST,
  [TokenErrorCode.TARGET_NOT_ALLOWED]: HttpStatus.FORBIDDEN,
  [TokenErrorCode.UPSTREAM_FAILED]: HttpStatus.BAD_GATEWAY,
};

/** Token errors as HTTP. Google's own error text is logged by TokenService, never sent. */
export function tokenHttpError(error: unknown): unknown {
  return error instanceof TokenException ? new HttpErrorWithHeaders(STATUS[error.code], error.message, {}) : error;
}

/**
 * POST /token, the hot path: served as a platform fast route (Fastify schema validation and serialization, no Nest
 * guard/pipe chain), which the cached case needs to stay within a small multiple of a bare Fastify route.
 * Order: API key (401), rate limit per key (429), body rules (400/403), then the cache or Google (502).
 */
@Injectable()
export class TokenRoute {
  constructor(fastRoutes: FastRoutes, auth: ApiKeyAuthenticator, tokens: TokenService, rateLimits: RateLimitService) {
    fastRoutes.add({
      method: 'POST',
      url: '/token',
      body: tokenRequestSchema,
      response: tokenResponseSchema,
      mapError: tokenHttpError,
      docs: {
        summary: 'Mint a Google OAuth2 access token',
        description: 'A Google OAuth2 access token for the configured service account (or an allowed impersonation target), from the cache while it is fresh.',
        tags: ['token'],
        security: ['bearer'],
        responses: {
          400: 'Malformed body, a scope outside ALLOWED_SCOPES, or a lifetime too long.',
          401: 'Invalid API key.',
          403: 'Impersonation of that service account is not allowed, or a managed key lacks the scope gcp-token:mint (or is used from an address it is not allowed from).',
          429: 'Over TOKEN_RATE_LIMIT_PER_MINUTE for this key.',
          502: 'Failed to obtain access token from Google.',
          503: 'Service account credentials not configured properly, or api-key-manager cannot verify a managed key now (Retry-After).',
        },
      },
      handler: async (request, reply) => {
        const keyId = await auth.authenticate(request);
        await enforceRateLimit(rateLimits, 'token', keyId, reply);
        const context = { keyId, annotate: (fields: Record<string, unknown>) => annotateRequest(request, fields) };
        return tokens.issue(context, request.body as TokenRequest);
      },
    });
  }
}
