import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ClientAuthErrorCode, ClientAuthException } from '../auth/client-auth.exception';
import { isOpenAiPath, toOpenAiError } from './openai-error.filter';
import { ProxyErrorCode, ProxyException } from './proxy.exception';

function fastifyError(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

describe('toOpenAiError', () => {
  it.each([
    [
      new ClientAuthException(ClientAuthErrorCode.INVALID_TOKEN, 'token has expired'),
      401,
      'authentication_error',
      'invalid_token',
    ],
    [
      new ClientAuthException(ClientAuthErrorCode.REPLAYED_NONCE, 'nonce was already used'),
      401,
      'authentication_error',
      'replayed_nonce',
    ],
    [
      new ClientAuthException(ClientAuthErrorCode.UNKNOWN_PRODUCT, 'unknown product'),
      403,
      'permission_error',
      'unknown_product',
    ],
    [
      new ClientAuthException(ClientAuthErrorCode.KEY_SET_UNAVAILABLE, 'key set down'),
      503,
      'server_error',
      'key_set_unavailable',
    ],
    [
      new ProxyException(ProxyErrorCode.INVALID_REQUEST, 'x'),
      400,
      'invalid_request_error',
      'invalid_request',
    ],
    [new ProxyException(ProxyErrorCode.RATE_LIMITED, 'x'), 429, 'rate_limit_error', 'rate_limit_exceeded'],
    [
      new ProxyException(ProxyErrorCode.DAILY_QUOTA_EXCEEDED, 'x'),
      429,
      'insufficient_quota',
      'daily_quota_exceeded',
    ],
    [
      new ProxyException(ProxyErrorCode.TOKEN_QUOTA_EXCEEDED, 'x'),
      429,
      'insufficient_quota',
      'daily_token_quota_exceeded',
    ],
    [
      new ProxyException(ProxyErrorCode.UPSTREAM_UNAVAILABLE, 'x'),
      502,
      'upstream_error',
      'upstream_unavailable',
    ],
    [new ProxyException(ProxyErrorCode.UPSTREAM_TIMEOUT, 'x'), 502, 'upstream_error', 'upstream_timeout'],
    [
      new ProxyException(ProxyErrorCode.UPSTREAM_RATE_LIMITED, 'x'),
      429,
      'rate_limit_error',
      'upstream_rate_limited',
    ],
    [
      fastifyError(400, 'FST_ERR_CTP_INVALID_JSON_BODY', 'Body is not valid JSON'),
      400,
      'invalid_request_error',
      'invalid_request',
    ],
    [
      fastifyError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large'),
      413,
      'invalid_request_error',
      'request_too_large',
    ],
    [
      fastifyError(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'Unsupported Media Type'),
      415,
      'invalid_request_error',
      'unsupported_media_type',
    ],
    [new NotFoundException('Cannot GET /v1/nope'), 404, 'not_found_error', 'not_found'],
    [
      new BadRequestException(['a must be a string', 'b should not exist']),
      400,
      'invalid_request_error',
      'invalid_request',
    ],
  ])('maps %p to %i %s %s', (exception, status, type, code) => {
    const error = toOpenAiError(exception);
    expect(error.status).toBe(status);
    expect(error.body.error).toMatchObject({ type, code, message: expect.any(String) });
  });

  it('passes an upstream rejection on with the upstream status, type, param and code', () => {
    const error = toOpenAiError(
      new ProxyException(ProxyErrorCode.UPSTREAM_REJECTED, "Invalid value for 'top_p'", {
        upstreamStatus: 422,
        upstreamType: 'invalid_request_error',
        upstreamCode: 'invalid_value',
        param: 'top_p',
      }),
    );
    expect(error).toMatchObject({
      status: 422,
      body: {
        error: {
          message: "Invalid value for 'top_p'",
          type: 'invalid_request_error',
          param: 'top_p',
          code: 'invalid_value',
        },
      },
    });
  });

  it('adds WWW-Authenticate to a 401 and the limit headers to a 429', () => {
    expect(
      toOpenAiError(new ClientAuthException(ClientAuthErrorCode.MISSING_CREDENTIALS, 'x')).headers,
    ).toEqual({ 'WWW-Authenticate': 'Bearer' });
    expect(
      toOpenAiError(new ProxyException(ProxyErrorCode.RATE_LIMITED, 'x', { headers: { 'Retry-After': '2' } }))
        .headers,
    ).toEqual({ 'Retry-After': '2' });
  });

  it('answers an unexpected error with a 500 that says nothing of it', () => {
    const error = toOpenAiError(new Error('database password=hunter2'));
    expect(error).toMatchObject({
      status: 500,
      unexpected: true,
      body: {
        error: { message: 'An unexpected error occurred', type: 'server_error', code: 'internal_error' },
      },
    });
  });
});

describe('isOpenAiPath', () => {
  it('covers /v1 and below, nothing else', () => {
    expect(['/v1', '/v1/chat/completions', '/v1?x=1', '/v1/unknown'].every(isOpenAiPath)).toBe(true);
    expect(['/v10', '/health', '/admin/usage', '/'].some(isOpenAiPath)).toBe(false);
  });
});
