import { PassThrough, Readable } from 'node:stream';
import { ProxyErrorCode, ProxyException } from '../errors/proxy.exception';
import { SseUsageRelay, type StreamSettlement } from './sse-usage.relay';

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content } }], usage: null })}\n\n`;
const USAGE = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 } })}\n\n`;
const DONE = 'data: [DONE]\n\n';

function relayOf(keepUsageChunk: boolean) {
  const settlements: StreamSettlement[] = [];
  const relay = new SseUsageRelay({
    keepUsageChunk,
    onSettled: (settlement) => settlements.push(settlement),
  });
  return { relay, settlements };
}

async function collect(relay: SseUsageRelay): Promise<string> {
  let text = '';
  for await (const piece of relay) text += String(piece);
  return text;
}

function failure(): ProxyException {
  return new ProxyException(
    ProxyErrorCode.UPSTREAM_TIMEOUT,
    'the upstream provider did not answer within 1 s',
  );
}

describe('SseUsageRelay', () => {
  it('relays events unchanged, whatever the chunk boundaries (even inside a UTF-8 character), and reads the usage', async () => {
    const { relay, settlements } = relayOf(true);
    const stream = Buffer.from(chunk('héllo') + chunk('wörld') + USAGE + DONE);
    const upstream = new PassThrough();
    relay.relayFrom(upstream, failure);
    const output = collect(relay);
    for (let i = 0; i < stream.length; i += 7) upstream.write(stream.subarray(i, i + 7));
    upstream.end();
    expect(await output).toBe(stream.toString());
    expect(settlements).toEqual([
      { outcome: 'completed', usage: { promptTokens: 11, completionTokens: 2 }, contentEvents: 2 },
    ]);
  });

  it('drops the usage-only chunk the proxy asked for when the client did not', async () => {
    const { relay, settlements } = relayOf(false);
    relay.relayFrom(Readable.from([chunk('a') + chunk('b'), USAGE, DONE]), failure);
    expect(await collect(relay)).toBe(chunk('a') + chunk('b') + DONE);
    expect(settlements[0]?.usage).toEqual({ promptTokens: 11, completionTokens: 2 });
  });

  it('understands CRLF line endings and multi-line data', async () => {
    const { relay, settlements } = relayOf(false);
    const usage = 'data: {"choices":[],\r\ndata: "usage":{"prompt_tokens":3,"completion_tokens":4}}\r\n\r\n';
    relay.relayFrom(
      Readable.from([`data: {"choices":[{"delta":{}}]}\r\n\r\n`, usage, 'data: [DONE]\r\n\r\n']),
      failure,
    );
    expect(await collect(relay)).toBe('data: {"choices":[{"delta":{}}]}\r\n\r\ndata: [DONE]\r\n\r\n');
    expect(settlements[0]?.usage).toEqual({ promptTokens: 3, completionTokens: 4 });
  });

  it('passes each event on as soon as it is complete, not at the end', async () => {
    const { relay } = relayOf(false);
    const upstream = new PassThrough();
    relay.relayFrom(upstream, failure);
    const reader = relay[Symbol.asyncIterator]();
    upstream.write(chunk('first').slice(0, 10));
    upstream.write(chunk('first').slice(10));
    expect(String((await reader.next()).value)).toBe(chunk('first'));
    upstream.write(chunk('second'));
    expect(String((await reader.next()).value)).toBe(chunk('second'));
    upstream.end();
  });

  it('ends with an OpenAI error event when the upstream fails mid-stream', async () => {
    const { relay, settlements } = relayOf(false);
    const upstream = new PassThrough();
    relay.relayFrom(upstream, failure);
    const output = collect(relay);
    upstream.write(chunk('partial'));
    upstream.destroy(new Error('UND_ERR_BODY_TIMEOUT'));
    const text = await output;
    expect(text.startsWith(chunk('partial'))).toBe(true);
    const last = JSON.parse((text.trim().split('\n\n').at(-1) ?? '').slice('data: '.length)) as {
      error: Record<string, unknown>;
    };
    expect(last.error).toEqual({
      message: 'the upstream provider did not answer within 1 s',
      type: 'upstream_error',
      param: null,
      code: 'upstream_timeout',
    });
    expect(settlements).toEqual([{ outcome: 'upstream_failed', usage: undefined, contentEvents: 1 }]);
  });

  it('destroys the upstream body when the client goes away, and settles with what it saw', async () => {
    const { relay, settlements } = relayOf(false);
    const upstream = new PassThrough();
    relay.relayFrom(upstream, failure);
    upstream.write(chunk('one'));
    await new Promise((resolve) => setImmediate(resolve));
    relay.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(upstream.destroyed).toBe(true);
    expect(settlements).toEqual([{ outcome: 'client_closed', usage: undefined, contentEvents: 1 }]);
  });

  it('stops reading the upstream while nobody reads the relay (backpressure)', async () => {
    const { relay } = relayOf(false);
    let produced = 0;
    const upstream = new Readable({
      read() {
        produced++;
        this.push(chunk('x'.repeat(1024)));
      },
    });
    relay.relayFrom(upstream, failure);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(produced).toBeLessThan(200);
    relay.destroy();
  });
});
