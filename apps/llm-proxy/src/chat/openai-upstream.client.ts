import type { EventEmitter } from 'node:events';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type Dispatcher, Pool } from 'undici';
import type { LlmProxyEnv } from '../config/env';
import { ProxyErrorCode, ProxyException } from '../errors/proxy.exception';

export type UpstreamResponse = Dispatcher.ResponseData;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function isAbort(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'UND_ERR_ABORTED';
}

/**
 * An undici failure as a ProxyException: the message says what happened without the upstream's address or any
 * header (undici's own messages carry neither, but they are not for the client either).
 */
export function upstreamTransportFailure(error: unknown, timeoutSeconds: number): ProxyException {
  if (error instanceof ProxyException) return error;
  if (isAbort(error))
    return new ProxyException(ProxyErrorCode.CLIENT_CLOSED, 'the client closed the request');
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new ProxyException(
      ProxyErrorCode.UPSTREAM_TIMEOUT,
      `the upstream provider did not answer within ${timeoutSeconds} s`,
    );
  }
  return new ProxyException(
    ProxyErrorCode.UPSTREAM_UNAVAILABLE,
    'the upstream provider could not be reached',
  );
}

/**
 * The chat completions endpoint (API_KEY_SERVER_OPENAI_BASE_URL, the full URL as in the seed) over a pool of
 * keep-alive connections. The timeout bounds the wait for the response headers and every gap between body chunks,
 * so a stream may run long as long as it keeps moving.
 */
@Injectable()
export class OpenAiUpstream implements OnApplicationShutdown {
  readonly timeoutSeconds: number;
  private readonly pool: Pool;
  private readonly path: string;

  constructor(config: ConfigService<LlmProxyEnv, true>) {
    const url = new URL(config.get('API_KEY_SERVER_OPENAI_BASE_URL', { infer: true }));
    this.timeoutSeconds = config.get('API_KEY_SERVER_UPSTREAM_TIMEOUT_SECONDS', { infer: true });
    const timeoutMs = this.timeoutSeconds * 1000;
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, {
      connections: config.get('API_KEY_SERVER_UPSTREAM_MAX_CONNECTIONS', { infer: true }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 30_000,
      connect: { timeout: Math.min(timeoutMs, 10_000) },
    });
  }

  /** POSTs a chat completion with the product's key; resolves once the upstream's status and headers are in. */
  async createChatCompletion(
    upstreamKey: string,
    body: string,
    signal: AbortSignal | EventEmitter,
  ): Promise<UpstreamResponse> {
    try {
      return await this.pool.request({
        path: this.path,
        method: 'POST',
        headers: {
          authorization: `Bearer ${upstreamKey}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body,
        signal,
      });
    } catch (error) {
      throw upstreamTransportFailure(error, this.timeoutSeconds);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close().catch(() => this.pool.destroy());
  }
}
