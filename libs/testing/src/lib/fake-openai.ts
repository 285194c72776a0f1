import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What the fake does with the next requests:
 * - ok: a completion, JSON or SSE as asked (with usage, and the usage chunk when stream_options.include_usage);
 * - error500: 500 with an OpenAI error body;
 * - stall: never answers (the proxy's timeout must fire);
 * - stall-mid-stream: sends the first chunks of a stream, then nothing;
 * - rate-limited: 429 with Retry-After;
 * - bad-request: 400 with an OpenAI error body naming a param;
 * - unauthorized: 401 whose message echoes part of the key, as OpenAI's does;
 * - ok-with-error-body: 200 whose body is an error (some providers do that);
 * - reset: destroys the connection without an answer.
 */
export type FakeOpenAiMode =
  | 'ok'
  | 'error500'
  | 'stall'
  | 'stall-mid-stream'
  | 'rate-limited'
  | 'bad-request'
  | 'unauthorized'
  | 'ok-with-error-body'
  | 'reset';

export interface UpstreamChatRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Record<string, unknown>;
  /** The connection closed before the fake finished its answer (the proxy aborted). */
  aborted: boolean;
  /** Bytes of the stream written before the fake stopped or was stopped. */
  streamedBytes: number;
}

const PROMPT_TOKENS = 11;

/**
 * A local stand-in for OpenAI's chat completions endpoint that behaves like it: JSON completions with a usage
 * object, SSE streams of `data: {chunk}\n\n` ending in `data: [DONE]`, the final usage chunk (choices: []) only
 * when stream_options.include_usage is set (and `usage: null` on the other chunks then), OpenAI error bodies,
 * 429 with Retry-After. It records every request, Authorization header included, so tests can prove which
 * credentials reached it.
 */
export class FakeOpenAi {
  readonly requests: UpstreamChatRequest[] = [];
  mode: FakeOpenAiMode = 'ok';
  /** Content chunks in a stream (each is one completion token). */
  streamChunks = 3;
  /** Delay between stream chunks. */
  chunkDelayMs = 0;
  /** Bytes of padding per stream chunk, for backpressure tests. */
  chunkPaddingBytes = 0;
  /** Delay before a JSON completion, so concurrent requests are all in flight at once. */
  responseDelayMs = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/chat/completions`;
  }

  /** The latest request received; throws when there is none. */
  get last(): UpstreamChatRequest {
    const last = this.requests.at(-1);
    if (!last) throw new Error('the fake upstream has received no request');
    return last;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.route(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  reset(): void {
    this.requests.length = 0;
    this.mode = 'ok';
    this.streamChunks = 3;
    this.chunkDelayMs = 0;
    this.chunkPaddingBytes = 0;
    this.responseDelayMs = 0;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return send(res, 400, {
        error: {
          message: 'We could not parse the JSON body of your request.',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
    }
    const received: UpstreamChatRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: { ...req.headers },
      body,
      aborted: false,
      streamedBytes: 0,
    };
    this.requests.push(received);
    res.on('close', () => {
      if (!res.writableFinished) received.aborted = true;
    });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions')
      return send(res, 404, { error: { message: 'Unknown route', type: 'invalid_request_error' } });
    if (!/^Bearer sk-/.test(req.headers.authorization ?? '')) {
      return send(res, 401, {
        error: {
          message: 'You did not provide an API key.',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
    }
    switch (this.mode) {
      case 'stall':
        return;
      case 'reset':
        return void req.socket.destroy();
      case 'error500':
        return send(res, 500, {
          error: {
            message: 'The server had an error while processing your request. Internal detail 42.',
            type: 'server_error',
            param: null,
            code: null,
          },
        });
      case 'rate-limited':
        return send(
          res,
          429,
          {
            error: {
              message:
                'Rate limit reached for gpt-4o-mini in organization org-secret123 on requests per min.',
              type: 'requests',
              param: null,
              code: 'rate_limit_exceeded',
            },
          },
          { 'retry-after': '7' },
        );
      case 'bad-request':
        return send(res, 400, {
          error: {
            message: "Invalid value for 'top_p': must be at most 1.",
            type: 'invalid_request_error',
            param: 'top_p',
            code: 'invalid_value',
          },
        });
      case 'unauthorized': {
        const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        const masked = `${key.slice(0, 3)}********${key.slice(-4)}`;
        return send(res, 401, {
          error: {
            message: `Incorrect API key provided: ${masked}. You can find your API key at the dashboard.`,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        });
      }
      case 'ok-with-error-body':
        return send(res, 200, { error: { message: 'overloaded', type: 'server_error' } });
      default:
        if (body['stream'] === true) return this.stream(body, res, received);
        if (this.responseDelayMs > 0)
          await new Promise((resolve) => setTimeout(resolve, this.responseDelayMs));
        return this.complete(body, res);
    }
  }

  private complete(body: Record<string, unknown>, res: ServerResponse): void {
    const completionTokens = 5;
    send(res, 200, {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body['model'],
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello from the fake.' },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: PROMPT_TOKENS,
        completion_tokens: completionTokens,
        total_tokens: PROMPT_TOKENS + completionTokens,
      },
    });
  }

  private async stream(
    body: Record<string, unknown>,
    res: ServerResponse,
    received: UpstreamChatRequest,
  ): Promise<void> {
    const includeUsage =
      (body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
    const usageField = includeUsage ? { usage: null } : {};
    const base = {
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: body['model'],
    };
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const write = async (event: unknown): Promise<boolean> => {
      if (res.destroyed) return false;
      const line = `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`;
      received.streamedBytes += Buffer.byteLength(line);
      if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
      if (this.chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.chunkDelayMs));
      return !res.destroyed;
    };
    const padding = this.chunkPaddingBytes > 0 ? 'x'.repeat(this.chunkPaddingBytes) : '';
    if (
      !(await write({
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        ...usageField,
      }))
    )
      return;
    const chunks = this.streamChunks;
    for (let i = 0; i < chunks; i++) {
      if (this.mode === 'stall-mid-stream' && i === 1) return;
      const content = `tok${i} ${padding}`;
      if (
        !(await write({
          ...base,
          choices: [{ index: 0, delta: { content }, finish_reason: null }],
          ...usageField,
        }))
      )
        return;
    }
    if (!(await write({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], ...usageField })))
      return;
    if (includeUsage) {
      const usage = {
        prompt_tokens: PROMPT_TOKENS,
        completion_tokens: chunks,
        total_tokens: PROMPT_TOKENS + chunks,
      };
      if (!(await write({ ...base, choices: [], usage }))) return;
    }
    await write('[DONE]');
    res.end();
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
