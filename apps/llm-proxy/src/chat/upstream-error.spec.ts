import { ProxyErrorCode } from '../errors/proxy.exception';
import { scrubUpstreamText, upstreamFailure } from './upstream-error';

const KEYS = ['sk-product-a-0123456789abcdef'];
const openAiError = (error: Record<string, unknown>) => JSON.stringify({ error });

describe('upstreamFailure', () => {
  it('answers an upstream 429 with 429 and its Retry-After, without the provider message', () => {
    const failure = upstreamFailure(
      429,
      { 'retry-after': '7', 'retry-after-ms': '6500' },
      openAiError({ message: 'Rate limit reached in organization org-abc' }),
      KEYS,
    );
    expect(failure.code).toBe(ProxyErrorCode.UPSTREAM_RATE_LIMITED);
    expect(failure.details.headers).toEqual({ 'Retry-After': '7', 'retry-after-ms': '6500' });
    expect(failure.message).not.toContain('org-abc');
  });

  it('passes another 4xx on with its status, message, type, param and code', () => {
    const failure = upstreamFailure(
      400,
      {},
      openAiError({
        message: "Invalid value for 'top_p'",
        type: 'invalid_request_error',
        param: 'top_p',
        code: 'invalid_value',
      }),
      KEYS,
    );
    expect(failure).toMatchObject({
      code: ProxyErrorCode.UPSTREAM_REJECTED,
      message: "Invalid value for 'top_p'",
    });
    expect(failure.details).toMatchObject({
      upstreamStatus: 400,
      upstreamType: 'invalid_request_error',
      param: 'top_p',
      upstreamCode: 'invalid_value',
    });
  });

  it('says what the status was when a 4xx has no OpenAI body', () => {
    expect(upstreamFailure(404, {}, '<html>nope</html>', KEYS).message).toBe(
      'the upstream provider rejected the request (HTTP 404)',
    );
  });

  it('turns an upstream 401 into a 502: it is the proxy key that is wrong, and its text echoes the key', () => {
    const failure = upstreamFailure(
      401,
      {},
      openAiError({ message: 'Incorrect API key provided: sk-pro********cdef.' }),
      KEYS,
    );
    expect(failure.code).toBe(ProxyErrorCode.UPSTREAM_UNAVAILABLE);
    expect(failure.message).not.toMatch(/sk-|cdef/);
  });

  it('answers 5xx with a 502 that carries none of the upstream text', () => {
    const failure = upstreamFailure(503, {}, openAiError({ message: 'internal shard 7 down' }), KEYS);
    expect(failure).toMatchObject({
      code: ProxyErrorCode.UPSTREAM_UNAVAILABLE,
      message: 'the upstream provider failed (HTTP 503)',
    });
  });
});

describe('scrubUpstreamText', () => {
  it('removes the upstream keys, anything key-shaped and bearer tokens, and bounds the length', () => {
    const text = `key ${KEYS[0]} or sk-proj-abc***xyz, header Bearer eyJhbGciOi.x.y ${'z'.repeat(2000)}`;
    const safe = scrubUpstreamText(text, KEYS);
    expect(safe).not.toMatch(/sk-|eyJ/);
    expect(safe).toContain('Bearer [REDACTED]');
    expect(safe.length).toBeLessThanOrEqual(1001);
  });
});
