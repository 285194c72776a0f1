import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ProxyException } from '../errors/proxy.exception';
import type { TokenUsage } from '../usage/usage-ledger';

export type StreamOutcome = 'completed' | 'upstream_failed' | 'client_closed';

export interface StreamSettlement {
  readonly outcome: StreamOutcome;
  /** The upstream's usage chunk, when it arrived. */
  readonly usage?: TokenUsage;
  /** Events carrying choices: about one token each, the estimate when no usage arrived. */
  readonly contentEvents: number;
}

export interface SseUsageRelayOptions {
  /** Pass the final usage-only chunk on (the client asked for stream_options.include_usage). */
  readonly keepUsageChunk: boolean;
  /** Called once, when the stream ended, failed or was abandoned by the client. */
  readonly onSettled: (settlement: StreamSettlement) => void;
}

/** An event longer than this without a blank line is passed on unparsed rather than held. */
const MAX_EVENT_CHARS = 1024 * 1024;
const HAS_USAGE_OBJECT = /"usage"\s*:\s*\{/;

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** OpenAI's usage object, if it is one. */
export function readUsage(value: unknown): TokenUsage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { prompt_tokens: prompt, completion_tokens: completion } = value as Record<string, unknown>;
  const promptTokens = count(prompt);
  const completionTokens = count(completion);
  return promptTokens === undefined || completionTokens === undefined
    ? undefined
    : { promptTokens, completionTokens };
}

/** Index just past the blank line that ends the next event, or -1 while the event is incomplete. */
function eventEnd(text: string, from: number): number {
  const lf = text.indexOf('\n\n', from);
  const crlf = text.indexOf('\r\n\r\n', from);
  if (lf < 0) return crlf < 0 ? -1 : crlf + 4;
  return crlf >= 0 && crlf < lf ? crlf + 4 : lf + 2;
}

function dataOf(event: string): string {
  let data = '';
  for (const line of event.split(/\r?\n/)) {
    if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line.startsWith('data: ') ? 6 : 5);
  }
  return data;
}

/**
 * Relays an upstream Server-Sent Events stream event by event, unchanged, as soon as each event is complete (a
 * partial event is held only until its end arrives). It reads the usage chunk the proxy asked for, and drops it
 * when the client did not ask for it. Piped, so backpressure reaches the upstream socket; destroyed (the client
 * left), it destroys the upstream body, which makes undici abort the upstream request.
 */
export class SseUsageRelay extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private usage?: TokenUsage;
  private contentEvents = 0;
  private failure?: ProxyException;
  private settled = false;
  private source?: Readable;

  constructor(private readonly options: SseUsageRelayOptions) {
    super();
  }

  /** Relays `upstream` through this stream; an upstream failure ends the stream with an error event. */
  relayFrom(upstream: Readable, failureOf: (error: unknown) => ProxyException): this {
    this.source = upstream;
    upstream.once('error', (error) => {
      upstream.unpipe(this);
      this.failUpstream(failureOf(error));
    });
    upstream.pipe(this);
    return this;
  }

  /** Ends the stream with an OpenAI error event: the status line was sent long ago, so this is all a client can get. */
  failUpstream(failure: ProxyException): void {
    if (this.writableEnded || this.destroyed) return;
    this.failure = failure;
    this.end();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending += this.decoder.write(chunk);
    let out = '';
    let start = 0;
    for (let end = eventEnd(this.pending, 0); end >= 0; end = eventEnd(this.pending, start)) {
      out += this.relay(this.pending.slice(start, end));
      start = end;
    }
    this.pending = this.pending.slice(start);
    if (this.pending.length > MAX_EVENT_CHARS) {
      out += this.pending;
      this.pending = '';
    }
    if (out.length > 0) this.push(out);
    done();
  }

  override _flush(done: TransformCallback): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest.length > 0) this.push(rest);
    if (this.failure) {
      const error = {
        message: this.failure.message,
        type: 'upstream_error',
        param: null,
        code: this.failure.code,
      };
      this.push(`data: ${JSON.stringify({ error })}\n\n`);
    }
    this.settle(this.failure ? 'upstream_failed' : 'completed');
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (this.source && !this.source.readableEnded) this.source.destroy();
    this.settle('client_closed');
    done(error);
  }

  private settle(outcome: StreamOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.options.onSettled({ outcome, usage: this.usage, contentEvents: this.contentEvents });
  }

  private relay(event: string): string {
    if (!HAS_USAGE_OBJECT.test(event)) {
      if (event.includes('"choices"')) this.contentEvents++;
      return event;
    }
    let chunk: { usage?: unknown; choices?: unknown };
    try {
      chunk = JSON.parse(dataOf(event)) as { usage?: unknown; choices?: unknown };
    } catch {
      return event;
    }
    const usage = readUsage(chunk?.usage);
    if (usage) this.usage = usage;
    const usageOnly = usage !== undefined && Array.isArray(chunk.choices) && chunk.choices.length === 0;
    if (!usageOnly) this.contentEvents++;
    return usageOnly && !this.options.keepUsageChunk ? '' : event;
  }
}
