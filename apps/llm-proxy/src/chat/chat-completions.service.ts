import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { Histogram } from 'prom-client';
import { HotPathCounter, MetricsService, annotateRequest } from '@auth-platform/platform';
import type { ClientIdentity } from '../auth/client-identity';
import type { LlmProxyEnv } from '../config/env';
import { ProxyErrorCode, ProxyException } from '../errors/proxy.exception';
import { type Admission, RequestLimits } from '../limits/request-limits.service';
import { ProductKeyring } from '../products/product-keyring';
import type { TokenUsage } from '../usage/usage-ledger';
import { UsageService } from '../usage/usage.service';
import {
  type ChatCompletionRequest,
  type ChatPolicy,
  parseChatCompletionRequest,
  upstreamRequestBody,
} from './chat-request';
import { OpenAiUpstream, type UpstreamResponse, upstreamTransportFailure } from './openai-upstream.client';
import { SseUsageRelay, type StreamSettlement, readUsage } from './sse-usage.relay';
import { upstreamFailure } from './upstream-error';

/** Upstream error bodies are read up to this size: enough for any message, bounded against a hostile upstream. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_COMPLETION_BODY_BYTES = 32 * 1024 * 1024;
/** A rough upper bound of tokens per byte of request body, for the prompt part of a token reservation. */
const BYTES_PER_PROMPT_TOKEN = 3;

type Outcome = 'success' | 'upstream_error' | 'client_closed' | 'stream_interrupted';

function contentType(headers: IncomingHttpHeaders): string {
  const value = headers['content-type'];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** The whole upstream body, up to `limit` bytes (a larger one is a failure of the upstream's, not a reason to buffer it). */
function readBody(response: UpstreamResponse, limit: number): Promise<Buffer> {
  const body = response.body;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else
        body.destroy(
          new ProxyException(
            ProxyErrorCode.UPSTREAM_UNAVAILABLE,
            'the upstream provider sent an oversized response',
          ),
        );
    });
    body.once('end', () => resolve(Buffer.concat(chunks, size)));
    body.once('error', reject);
  });
}

/**
 * One chat completion: validate, admit through the limits, forward with the product's upstream key, relay the
 * answer (JSON or SSE), then settle the token reservation and record usage from what the upstream reported.
 */
@Injectable()
export class ChatCompletionsService {
  readonly policy: ChatPolicy;
  private readonly outcomes: HotPathCounter<'product' | 'outcome'>;
  private readonly upstreamLatency: Histogram<'stream'>;

  constructor(
    config: ConfigService<LlmProxyEnv, true>,
    private readonly upstream: OpenAiUpstream,
    private readonly limits: RequestLimits,
    private readonly products: ProductKeyring,
    private readonly usage: UsageService,
    metrics: MetricsService,
  ) {
    this.policy = {
      allowedModels: config.get('API_KEY_SERVER_ALLOWED_MODELS', { infer: true }),
      maxTokens: config.get('API_KEY_SERVER_MAX_TOKENS', { infer: true }),
      minTemperature: config.get('API_KEY_SERVER_MIN_TEMPERATURE', { infer: true }),
      maxTemperature: config.get('API_KEY_SERVER_MAX_TEMPERATURE', { infer: true }),
    };
    const registers = [metrics.registry];
    this.outcomes = new HotPathCounter({
      name: 'llm_proxy_upstream_requests_total',
      help: 'Requests forwarded upstream, by product and outcome',
      labelNames: ['product', 'outcome'],
      registry: metrics.registry,
    });
    this.upstreamLatency = new Histogram({
      name: 'llm_proxy_upstream_response_seconds',
      help: 'Time from forwarding a request to the upstream response headers (time to first byte for streams)',
      labelNames: ['stream'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
  }

  async complete(
    identity: ClientIdentity,
    body: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const chat = parseChatCompletionRequest(body, this.policy);
    annotateRequest(request, { model: chat.model, stream: chat.stream });
    const promptEstimate = this.promptEstimate(chat, request);
    const admission = await this.limits.admit(
      identity,
      (chat.maxTokens ?? this.policy.maxTokens) * chat.choices + promptEstimate,
    );
    void reply.headers(admission.headers);
    const upstreamKey = this.products.upstreamKeyFor(identity.product);
    if (upstreamKey === undefined)
      throw new Error('ClientAuthGuard admitted a product without an upstream key');

    // A client that leaves aborts the upstream request: nobody would read the answer, and it costs tokens. (undici
    // takes an emitter of 'abort' as its signal; an AbortController costs several times more per request.)
    const abort = new EventEmitter();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.emit('abort');
    });
    const capTokens = this.limits.tokenQuotaEnabled ? this.policy.maxTokens : undefined;
    const stopTimer = this.upstreamLatency.startTimer({ stream: chat.stream ? 'true' : 'false' });
    let response: UpstreamResponse;
    try {
      response = await this.upstream.createChatCompletion(
        upstreamKey,
        upstreamRequestBody(chat, capTokens),
        abort,
      );
    } catch (error) {
      this.fail(identity, admission, request, error);
    }
    stopTimer();
    annotateRequest(request, { upstream_status: response.statusCode });

    try {
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const text = (await readBody(response, MAX_ERROR_BODY_BYTES)).toString('utf8');
        throw upstreamFailure(response.statusCode, response.headers, text, this.products.upstreamKeys());
      }
      if (contentType(response.headers).startsWith('text/event-stream')) {
        this.relayStream(identity, chat, admission, promptEstimate, response, request, reply);
        return;
      }
      await this.relayJson(identity, admission, response, request, reply);
    } catch (error) {
      if (!response.body.readableEnded) response.body.destroy();
      this.fail(identity, admission, request, error);
    }
  }

  /** A generous estimate of the prompt's tokens, from the body size: reserved up front, settled to the real count. */
  private promptEstimate(chat: ChatCompletionRequest, request: FastifyRequest): number {
    if (!this.limits.tokenQuotaEnabled) return 0;
    const bodyBytes = Number(request.headers['content-length']) || JSON.stringify(chat.body).length;
    return Math.ceil(bodyBytes / BYTES_PER_PROMPT_TOKEN);
  }

  private async relayJson(
    identity: ClientIdentity,
    admission: Admission,
    response: UpstreamResponse,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const bytes = await readBody(response, MAX_COMPLETION_BODY_BYTES);
    let completion: unknown;
    try {
      completion = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new ProxyException(
        ProxyErrorCode.UPSTREAM_UNAVAILABLE,
        'the upstream provider sent a response that is not valid JSON',
      );
    }
    if (
      typeof completion !== 'object' ||
      completion === null ||
      Array.isArray(completion) ||
      ('error' in completion && !('choices' in completion))
    ) {
      // Some providers answer 200 with an error body; a client must never get that as a success.
      throw new ProxyException(
        ProxyErrorCode.UPSTREAM_UNAVAILABLE,
        'the upstream provider answered with an error instead of a completion',
      );
    }
    this.settle(
      identity,
      admission,
      request,
      'success',
      readUsage((completion as { usage?: unknown }).usage),
      false,
    );
    void reply.status(200).header('content-type', 'application/json').send(bytes);
  }

  private relayStream(
    identity: ClientIdentity,
    chat: ChatCompletionRequest,
    admission: Admission,
    promptEstimate: number,
    response: UpstreamResponse,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const relay = new SseUsageRelay({
      keepUsageChunk: chat.clientWantsUsage,
      onSettled: ({ outcome, usage, contentEvents }: StreamSettlement) => {
        // Without the usage chunk (the client left first, or the stream broke), each content event counts as one
        // completion token and the prompt as estimated: better an estimate than usage lost.
        const known = usage ?? { promptTokens: promptEstimate, completionTokens: contentEvents };
        const result: Outcome =
          outcome === 'completed'
            ? 'success'
            : outcome === 'client_closed'
              ? 'client_closed'
              : 'stream_interrupted';
        this.settle(identity, admission, request, result, known, usage === undefined);
      },
    });
    relay.relayFrom(response.body, (error) => upstreamTransportFailure(error, this.upstream.timeoutSeconds));
    void reply
      .status(200)
      .headers({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      })
      .send(relay);
  }

  /** Usage recorded and the token reservation settled; unknown usage keeps the whole reservation. */
  private settle(
    identity: ClientIdentity,
    admission: Admission,
    request: FastifyRequest,
    outcome: Outcome,
    usage: TokenUsage | undefined,
    estimated: boolean,
  ): void {
    this.countOutcome(identity.product, outcome);
    this.usage.record(identity, usage);
    void this.limits.settle(admission, usage && usage.promptTokens + usage.completionTokens);
    annotateRequest(request, {
      outcome,
      prompt_tokens: usage?.promptTokens,
      completion_tokens: usage?.completionTokens,
      ...(estimated ? { usage_estimated: true } : {}),
    });
  }

  private countOutcome(product: string, outcome: Outcome): void {
    this.outcomes.inc(product, outcome);
  }

  private fail(
    identity: ClientIdentity,
    admission: Admission,
    request: FastifyRequest,
    error: unknown,
  ): never {
    const failure =
      error instanceof ProxyException ? error : upstreamTransportFailure(error, this.upstream.timeoutSeconds);
    // The upstream may have done the work after a timeout or a client's departure (and billed it): those keep the
    // token reservation. A refusal or a failure did no work, so the tokens go back.
    if (failure.code !== ProxyErrorCode.UPSTREAM_TIMEOUT && failure.code !== ProxyErrorCode.CLIENT_CLOSED)
      this.limits.release(admission);
    const outcome: Outcome =
      failure.code === ProxyErrorCode.CLIENT_CLOSED ? 'client_closed' : 'upstream_error';
    this.countOutcome(identity.product, outcome);
    annotateRequest(request, { outcome, upstream_error: failure.details.upstreamCode ?? failure.code });
    throw failure;
  }
}
