import type { IncomingHttpHeaders } from 'node:http';
import { ProxyErrorCode, ProxyException } from '../errors/proxy.exception';

const MAX_MESSAGE_LENGTH = 1000;
/** Provider key shapes (OpenAI sk-/sk-proj-, Anthropic sk-ant-, masked forms with *): some 401 texts echo part of one. */
const KEY_LIKE = /\b(?:sk|rk|pk)-[A-Za-z0-9_*.-]{6,}/g;
const BEARER_LIKE = /\bBearer\s+\S+/gi;

interface OpenAiErrorBody {
  readonly message?: string;
  readonly type?: string;
  readonly code?: string;
  readonly param?: string;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseError(text: string): OpenAiErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    const error = (parsed as { error?: unknown } | null)?.error;
    if (typeof error === 'string') return { message: error };
    if (typeof error !== 'object' || error === null) return {};
    const { message, type, code, param } = error as Record<string, unknown>;
    return {
      message: typeof message === 'string' ? message : undefined,
      type: typeof type === 'string' ? type : undefined,
      code: typeof code === 'string' ? code : undefined,
      param: typeof param === 'string' ? param : undefined,
    };
  } catch {
    return {};
  }
}

/** An upstream text made safe to pass on: no upstream key, nothing key-shaped, bounded length. */
export function scrubUpstreamText(text: string, upstreamKeys: readonly string[]): string {
  let safe = text;
  for (const key of upstreamKeys) if (key.length > 0) safe = safe.split(key).join('[REDACTED]');
  safe = safe.replace(KEY_LIKE, '[REDACTED]').replace(BEARER_LIKE, 'Bearer [REDACTED]');
  return safe.length > MAX_MESSAGE_LENGTH ? `${safe.slice(0, MAX_MESSAGE_LENGTH)}…` : safe;
}

/**
 * An upstream answer that is not a success, as the error the client gets:
 * - 429: 429 with the upstream's Retry-After, so clients back off as the provider asks;
 * - 401: 502, because it means the proxy's key for the product is wrong, not the client's credentials;
 * - other 4xx: the same status with the upstream's message, type, param and code (scrubbed);
 * - 5xx and anything else: 502.
 */
export function upstreamFailure(
  status: number,
  headers: IncomingHttpHeaders,
  bodyText: string,
  upstreamKeys: readonly string[],
): ProxyException {
  if (status === 429) {
    const retryAfter = header(headers, 'retry-after');
    const retryAfterMs = header(headers, 'retry-after-ms');
    return new ProxyException(
      ProxyErrorCode.UPSTREAM_RATE_LIMITED,
      'the upstream provider is rate limiting this product; retry after the time in Retry-After',
      {
        headers: {
          ...(retryAfter ? { 'Retry-After': retryAfter } : {}),
          ...(retryAfterMs ? { 'retry-after-ms': retryAfterMs } : {}),
        },
      },
    );
  }
  if (status === 401) {
    return new ProxyException(
      ProxyErrorCode.UPSTREAM_UNAVAILABLE,
      'the upstream provider refused the proxy credentials for this product',
    );
  }
  if (status >= 400 && status < 500) {
    const error = parseError(bodyText);
    const message = error.message
      ? scrubUpstreamText(error.message, upstreamKeys)
      : `the upstream provider rejected the request (HTTP ${status})`;
    return new ProxyException(ProxyErrorCode.UPSTREAM_REJECTED, message, {
      upstreamStatus: status,
      upstreamType: error.type && scrubUpstreamText(error.type, upstreamKeys),
      upstreamCode: error.code && scrubUpstreamText(error.code, upstreamKeys),
      param: error.param && scrubUpstreamText(error.param, upstreamKeys),
    });
  }
  return new ProxyException(
    ProxyErrorCode.UPSTREAM_UNAVAILABLE,
    `the upstream provider failed (HTTP ${status})`,
  );
}
