import { ProxyErrorCode, ProxyException } from '../errors/proxy.exception';

/** What a chat completion request may ask for (API_KEY_SERVER_ALLOWED_MODELS, _MAX_TOKENS, _MIN/_MAX_TEMPERATURE). */
export interface ChatPolicy {
  readonly allowedModels: readonly string[];
  readonly maxTokens: number;
  readonly minTemperature: number;
  readonly maxTemperature: number;
}

/** OpenAI's own bound on `n`. */
const MAX_CHOICES = 128;

/** A validated request: the body as the client sent it, plus what the proxy needs to know about it. */
export interface ChatCompletionRequest {
  readonly body: Readonly<Record<string, unknown>>;
  readonly model: string;
  readonly stream: boolean;
  /** The client asked for the final usage chunk (stream_options.include_usage). */
  readonly clientWantsUsage: boolean;
  /** max_completion_tokens, else max_tokens, when the client set one. */
  readonly maxTokens?: number;
  readonly choices: number;
}

function invalid(
  param: string | undefined,
  message: string,
  code = ProxyErrorCode.INVALID_REQUEST,
): ProxyException {
  return new ProxyException(code, message, { param });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value from the caller, quoted in a message: short, on one line. */
function quoted(value: string): string {
  const text = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(text);
}

function optionalTokenLimit(body: Record<string, unknown>, field: string, max: number): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw invalid(field, `${field} must be a positive integer`);
  if (value > max) throw invalid(field, `${field} must be at most ${max}`);
  return value;
}

function checkMessages(messages: unknown): void {
  if (messages === undefined) throw invalid('messages', 'messages is required');
  if (!Array.isArray(messages) || messages.length === 0)
    throw invalid('messages', 'messages must be a non-empty array');
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isObject(message) || typeof message['role'] !== 'string' || message['role'].length === 0) {
      throw invalid(`messages[${i}]`, `messages[${i}] must be an object with a string role`);
    }
  }
}

/**
 * Checks what the policy governs and leaves every other field to the upstream, which knows its own API best:
 * the proxy refuses what it must (model, token bounds, temperature, shape of messages), each with a 400 that names
 * the field, and forwards the rest as sent.
 */
export function parseChatCompletionRequest(body: unknown, policy: ChatPolicy): ChatCompletionRequest {
  if (!isObject(body)) throw invalid(undefined, 'the request body must be a JSON object');

  const model = body['model'];
  if (model === undefined) throw invalid('model', 'model is required');
  if (typeof model !== 'string') throw invalid('model', 'model must be a string');
  if (!policy.allowedModels.includes(model)) {
    throw invalid(
      'model',
      `model ${quoted(model)} is not allowed; allowed models: ${policy.allowedModels.join(', ')}`,
      ProxyErrorCode.MODEL_NOT_ALLOWED,
    );
  }

  checkMessages(body['messages']);

  const maxTokens = optionalTokenLimit(body, 'max_tokens', policy.maxTokens);
  const maxCompletionTokens = optionalTokenLimit(body, 'max_completion_tokens', policy.maxTokens);

  const temperature = body['temperature'];
  if (temperature !== undefined && temperature !== null) {
    if (
      typeof temperature !== 'number' ||
      !Number.isFinite(temperature) ||
      temperature < policy.minTemperature ||
      temperature > policy.maxTemperature
    ) {
      throw invalid(
        'temperature',
        `temperature must be a number between ${policy.minTemperature} and ${policy.maxTemperature}`,
      );
    }
  }

  const n = body['n'];
  if (
    n !== undefined &&
    n !== null &&
    (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CHOICES)
  ) {
    throw invalid('n', `n must be an integer between 1 and ${MAX_CHOICES}`);
  }

  const stream = body['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw invalid('stream', 'stream must be a boolean');
  const streamOptions = body['stream_options'];
  let clientWantsUsage = false;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!isObject(streamOptions)) throw invalid('stream_options', 'stream_options must be an object');
    const includeUsage = streamOptions['include_usage'];
    if (includeUsage !== undefined && typeof includeUsage !== 'boolean') {
      throw invalid('stream_options.include_usage', 'stream_options.include_usage must be a boolean');
    }
    clientWantsUsage = includeUsage === true;
  }

  return {
    body,
    model,
    stream: stream === true,
    clientWantsUsage,
    maxTokens: maxCompletionTokens ?? maxTokens,
    choices: typeof n === 'number' ? n : 1,
  };
}

/**
 * The body sent upstream: the client's, plus `stream_options.include_usage` on streams (the proxy counts tokens
 * from the final usage chunk) and, when `capTokens` is given and the client set no bound, `max_completion_tokens`
 * so that a token reservation is a real bound.
 */
export function upstreamRequestBody(request: ChatCompletionRequest, capTokens?: number): string {
  const needsUsage = request.stream && !request.clientWantsUsage;
  const needsCap = capTokens !== undefined && request.maxTokens === undefined;
  if (!needsUsage && !needsCap) return JSON.stringify(request.body);
  const body: Record<string, unknown> = { ...request.body };
  if (needsUsage)
    body['stream_options'] = {
      ...(isObject(body['stream_options']) ? body['stream_options'] : {}),
      include_usage: true,
    };
  if (needsCap) body['max_completion_tokens'] = capTokens;
  return JSON.stringify(body);
}
