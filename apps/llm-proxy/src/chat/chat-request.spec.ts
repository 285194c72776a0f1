import { ProxyErrorCode, ProxyException } from '../errors/proxy.exception';
import { type ChatPolicy, parseChatCompletionRequest, upstreamRequestBody } from './chat-request';

const policy: ChatPolicy = {
  allowedModels: ['gpt-4o', 'gpt-4o-mini'],
  maxTokens: 2048,
  minTemperature: 0,
  maxTemperature: 2,
};
const valid = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] };

function refusal(body: unknown): ProxyException {
  try {
    parseChatCompletionRequest(body, policy);
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyException);
    return error as ProxyException;
  }
  throw new Error('expected the request to be refused');
}

describe('parseChatCompletionRequest', () => {
  it('accepts a request within the policy and keeps every other field as sent', () => {
    const body = {
      ...valid,
      max_tokens: 2048,
      temperature: 2,
      tools: [{ type: 'function' }],
      response_format: { type: 'json_object' },
      n: 2,
    };
    const request = parseChatCompletionRequest(body, policy);
    expect(request).toMatchObject({
      model: 'gpt-4o-mini',
      stream: false,
      clientWantsUsage: false,
      maxTokens: 2048,
      choices: 2,
    });
    expect(request.body).toBe(body);
  });

  it.each([
    [[], undefined, 'the request body must be a JSON object'],
    [{ messages: valid.messages }, 'model', 'model is required'],
    [{ ...valid, model: 4 }, 'model', 'model must be a string'],
    [
      { ...valid, model: 'gpt-5-ultra' },
      'model',
      'model "gpt-5-ultra" is not allowed; allowed models: gpt-4o, gpt-4o-mini',
    ],
    [{ model: 'gpt-4o' }, 'messages', 'messages is required'],
    [{ ...valid, messages: [] }, 'messages', 'messages must be a non-empty array'],
    [{ ...valid, messages: 'hi' }, 'messages', 'messages must be a non-empty array'],
    [
      { ...valid, messages: [{ role: 'user' }, { content: 'x' }] },
      'messages[1]',
      'messages[1] must be an object with a string role',
    ],
    [{ ...valid, max_tokens: 2049 }, 'max_tokens', 'max_tokens must be at most 2048'],
    [{ ...valid, max_tokens: 0 }, 'max_tokens', 'max_tokens must be a positive integer'],
    [{ ...valid, max_tokens: 1.5 }, 'max_tokens', 'max_tokens must be a positive integer'],
    [{ ...valid, max_tokens: '100' }, 'max_tokens', 'max_tokens must be a positive integer'],
    [
      { ...valid, max_completion_tokens: 4096 },
      'max_completion_tokens',
      'max_completion_tokens must be at most 2048',
    ],
    [{ ...valid, temperature: 2.1 }, 'temperature', 'temperature must be a number between 0 and 2'],
    [{ ...valid, temperature: -0.1 }, 'temperature', 'temperature must be a number between 0 and 2'],
    [{ ...valid, temperature: 'hot' }, 'temperature', 'temperature must be a number between 0 and 2'],
    [{ ...valid, n: 0 }, 'n', 'n must be an integer between 1 and 128'],
    [{ ...valid, stream: 'yes' }, 'stream', 'stream must be a boolean'],
    [{ ...valid, stream: true, stream_options: [] }, 'stream_options', 'stream_options must be an object'],
    [
      { ...valid, stream: true, stream_options: { include_usage: 1 } },
      'stream_options.include_usage',
      'stream_options.include_usage must be a boolean',
    ],
  ])('refuses %j naming %s', (body, param, message) => {
    const error = refusal(body);
    expect(error.details.param).toBe(param);
    expect(error.message).toBe(message);
  });

  it('tells a disallowed model apart by its code, and quotes at most 64 characters of it', () => {
    const error = refusal({ ...valid, model: 'x'.repeat(500) });
    expect(error.code).toBe(ProxyErrorCode.MODEL_NOT_ALLOWED);
    expect(error.message.length).toBeLessThan(150);
  });

  it('honours a configured temperature range', () => {
    const narrow = { ...policy, minTemperature: 0.2, maxTemperature: 1 };
    expect(() => parseChatCompletionRequest({ ...valid, temperature: 0.1 }, narrow)).toThrow(
      'temperature must be a number between 0.2 and 1',
    );
    expect(parseChatCompletionRequest({ ...valid, temperature: 1 }, narrow).model).toBe('gpt-4o-mini');
  });
});

describe('upstreamRequestBody', () => {
  it('asks a stream for the usage chunk when the client did not', () => {
    const request = parseChatCompletionRequest({ ...valid, stream: true }, policy);
    expect(JSON.parse(upstreamRequestBody(request))).toEqual({
      ...valid,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(request.clientWantsUsage).toBe(false);
  });

  it('keeps the client stream_options and sends a body unchanged when nothing needs adding', () => {
    const body = { ...valid, stream: true, stream_options: { include_usage: true } };
    const request = parseChatCompletionRequest(body, policy);
    expect(request.clientWantsUsage).toBe(true);
    expect(upstreamRequestBody(request)).toBe(JSON.stringify(body));
  });

  it('caps the completion when a token quota needs a bound and the client gave none', () => {
    expect(JSON.parse(upstreamRequestBody(parseChatCompletionRequest(valid, policy), 2048))).toMatchObject({
      max_completion_tokens: 2048,
    });
    expect(
      JSON.parse(upstreamRequestBody(parseChatCompletionRequest({ ...valid, max_tokens: 10 }, policy), 2048)),
    ).not.toHaveProperty('max_completion_tokens');
  });
});
