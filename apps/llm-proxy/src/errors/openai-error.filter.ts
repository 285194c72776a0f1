import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpErrorFilter, annotateRequest, toErrorBody } from '@auth-platform/platform';
import { ClientAuthErrorCode, ClientAuthException } from '../auth/client-auth.exception';
import { ProxyErrorCode, ProxyException } from './proxy.exception';

/** OpenAI's error envelope, which OpenAI SDKs parse. */
export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string;
  };
}

interface OpenAiError {
  readonly status: number;
  readonly body: OpenAiErrorBody;
  readonly headers: Readonly<Record<string, string>>;
  /** Not a refusal the proxy decided on: worth the operator's attention. */
  readonly unexpected: boolean;
}

const AUTH_STATUS: Record<ClientAuthErrorCode, number> = {
  [ClientAuthErrorCode.MISSING_CREDENTIALS]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.AMBIGUOUS_CREDENTIALS]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.INVALID_TOKEN]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.MISSING_SIGNATURE_HEADER]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.UNKNOWN_CLIENT]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.STALE_TIMESTAMP]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.INVALID_NONCE]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.INVALID_SIGNATURE]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.REPLAYED_NONCE]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.SCHEME_NOT_CONFIGURED]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.UNKNOWN_PRODUCT]: HttpStatus.FORBIDDEN,
  [ClientAuthErrorCode.PRODUCT_NOT_ALLOWED]: HttpStatus.FORBIDDEN,
  [ClientAuthErrorCode.KEY_SET_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
  [ClientAuthErrorCode.INVALID_API_KEY]: HttpStatus.UNAUTHORIZED,
  [ClientAuthErrorCode.API_KEY_NOT_PERMITTED]: HttpStatus.FORBIDDEN,
  [ClientAuthErrorCode.API_KEY_VERIFICATION_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
};

const PROXY_STATUS: Record<Exclude<ProxyErrorCode, ProxyErrorCode.UPSTREAM_REJECTED>, number> = {
  [ProxyErrorCode.INVALID_REQUEST]: HttpStatus.BAD_REQUEST,
  [ProxyErrorCode.MODEL_NOT_ALLOWED]: HttpStatus.BAD_REQUEST,
  [ProxyErrorCode.RATE_LIMITED]: HttpStatus.TOO_MANY_REQUESTS,
  [ProxyErrorCode.DAILY_QUOTA_EXCEEDED]: HttpStatus.TOO_MANY_REQUESTS,
  [ProxyErrorCode.TOKEN_QUOTA_EXCEEDED]: HttpStatus.TOO_MANY_REQUESTS,
  [ProxyErrorCode.LIMITS_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
  [ProxyErrorCode.UPSTREAM_UNAVAILABLE]: HttpStatus.BAD_GATEWAY,
  [ProxyErrorCode.UPSTREAM_TIMEOUT]: HttpStatus.BAD_GATEWAY,
  [ProxyErrorCode.UPSTREAM_RATE_LIMITED]: HttpStatus.TOO_MANY_REQUESTS,
  // Nobody reads it (the client is gone), but the access log shows it, as nginx does.
  [ProxyErrorCode.CLIENT_CLOSED]: 499,
};

const QUOTA_CODES = new Set<string>([
  ProxyErrorCode.DAILY_QUOTA_EXCEEDED,
  ProxyErrorCode.TOKEN_QUOTA_EXCEEDED,
]);

/** For errors that are not the proxy's own (Fastify's body errors, Nest's 404): a code from the status. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'invalid_credentials',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'request_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limit_exceeded',
  500: 'internal_error',
  502: 'upstream_unavailable',
  503: 'service_unavailable',
};

function typeOf(status: number, code: string): string {
  if (QUOTA_CODES.has(code)) return 'insufficient_quota';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 502) return 'upstream_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function envelope(
  status: number,
  message: string,
  code: string,
  options: {
    type?: string;
    param?: string;
    headers?: Readonly<Record<string, string>>;
    unexpected?: boolean;
  } = {},
): OpenAiError {
  return {
    status,
    body: {
      error: { message, type: options.type ?? typeOf(status, code), param: options.param ?? null, code },
    },
    headers: options.headers ?? {},
    unexpected: options.unexpected ?? false,
  };
}

/** Any error on a /v1 route as OpenAI's envelope, with the status and headers the proxy's contract gives it. */
export function toOpenAiError(exception: unknown): OpenAiError {
  if (exception instanceof ClientAuthException) {
    const status = AUTH_STATUS[exception.code];
    const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
    if (exception.retryAfterSeconds !== undefined) headers['Retry-After'] = String(exception.retryAfterSeconds);
    return envelope(status, exception.message, exception.code, { headers });
  }
  if (exception instanceof ProxyException) {
    const { details } = exception;
    if (exception.code === ProxyErrorCode.UPSTREAM_REJECTED) {
      const status = details.upstreamStatus ?? HttpStatus.BAD_GATEWAY;
      return envelope(status, exception.message, details.upstreamCode ?? exception.code, {
        type: details.upstreamType,
        param: details.param,
        headers: details.headers,
      });
    }
    return envelope(PROXY_STATUS[exception.code], exception.message, exception.code, {
      param: details.param,
      headers: details.headers,
    });
  }
  const { body, headers } = toErrorBody(exception);
  return envelope(
    body.statusCode,
    body.message,
    CODE_BY_STATUS[body.statusCode] ?? `http_${body.statusCode}`,
    {
      headers,
      unexpected: body.statusCode >= 500,
    },
  );
}

export function sendOpenAiError(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): void {
  if (reply.sent || reply.raw.headersSent) {
    // A stream already under way: its status line is gone, and the relay reports failures in-band.
    if (!reply.raw.destroyed) reply.raw.destroy();
    return;
  }
  const error = toOpenAiError(exception);
  if (error.unexpected)
    logger.error({ event: 'unhandled_error', request_id: request.id, err: exception }, 'request failed');
  annotateRequest(request, { error_code: error.body.error.code });
  void reply.headers(error.headers).status(error.status).send(error.body);
}

/** The /v1 controllers' filter: every error they raise, guards and pipes included, in OpenAI's envelope. */
@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('OpenAiErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendOpenAiError(
      exception,
      http.getRequest<FastifyRequest>(),
      http.getResponse<FastifyReply>(),
      this.logger,
    );
  }
}

/** Paths that speak OpenAI's error envelope. */
export function isOpenAiPath(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');
}

/**
 * Errors raised before a route's own filters can run, Fastify's body parsing (invalid JSON, 413, 415) and Nest's
 * 404 for an unknown route: Nest hands them to the global filters only. Under /v1 they get the OpenAI envelope;
 * elsewhere the platform's usual answer.
 */
@Catch()
export class ApiErrorEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('OpenAiErrorFilter');
  private readonly platform = new HttpErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (isOpenAiPath(request.url))
      sendOpenAiError(exception, request, http.getResponse<FastifyReply>(), this.logger);
    else this.platform.catch(exception, host);
  }
}
