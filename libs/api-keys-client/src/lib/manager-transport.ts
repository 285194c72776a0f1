import { Pool } from 'undici';

export interface ManagerAnswer {
  readonly status: number;
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  readonly body: unknown;
  readonly retryAfterSeconds?: number;
}

/** A call that got no HTTP answer. Carries no request detail: the request held a key and the service key. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    /** The system or undici error code (ECONNREFUSED, UND_ERR_SOCKET, ...), for logs. */
    readonly code?: string,
  ) {
    super(kind === 'timeout' ? 'no answer in time' : `connection failed${code ? ` (${code})` : ''}`);
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
/** Answers are a few hundred bytes; a huge body is not the manager. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

function retryAfterOf(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/** POSTs JSON to api-key-manager over a keep-alive pool, with the service key and one deadline per call. */
export class ManagerTransport {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly authorization: string;

  constructor(
    baseUrl: URL,
    serviceKey: string,
    private readonly timeoutMs: number,
    connections: number,
  ) {
    this.pool = new Pool(baseUrl.origin, {
      connections,
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
    this.basePath = baseUrl.pathname.replace(/\/+$/, '');
    this.authorization = `Bearer ${serviceKey}`;
  }

  async post(path: string, payload: unknown): Promise<ManagerAnswer> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    try {
      const response = await this.pool.request({
        path: this.basePath + path,
        method: 'POST',
        headers: {
          authorization: this.authorization,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(payload),
        signal: deadline.signal,
      });
      const text = await response.body.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return {
        status: response.statusCode,
        body,
        retryAfterSeconds: retryAfterOf(response.headers['retry-after']),
      };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const errorCode = typeof code === 'string' ? code : undefined;
      if (deadline.signal.aborted || (errorCode && TIMEOUT_CODES.has(errorCode))) {
        throw new TransportError('timeout', errorCode);
      }
      throw new TransportError('network', errorCode);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for calls in flight, then closes the connections. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
