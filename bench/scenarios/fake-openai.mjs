// A local OpenAI-compatible chat completions endpoint for the llm-proxy benchmarks. It runs in its own process
// (`node fake-openai.mjs <port>`), like the apps, so it does not share an event loop with autocannon; it answers
// every POST at once with the same small completion, usage included, as fast as Node's http server can.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-4o-mini',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello from the bench upstream.' },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});
const HEADERS = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(COMPLETION) };

function serve(port) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (!/^Bearer sk-/.test(req.headers.authorization ?? '')) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(
          '{"error":{"message":"missing key","type":"invalid_request_error","code":"invalid_api_key"}}',
        );
        return;
      }
      res.writeHead(200, HEADERS);
      res.end(COMPLETION);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => process.send?.({ port: server.address().port }));
  // The bench that started this process is gone: stop too.
  process.on('disconnect', () => process.exit(0));
}

/** Starts the fake in a child process; resolves with its URL once it listens. Port 0 picks a free one. */
export function startFakeOpenAi({ port = 0 } = {}) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), String(port)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  process.once('exit', () => child.kill());
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`fake OpenAI upstream exited with code ${code} before listening`)),
    );
    child.once('message', ({ port: listening }) => {
      child.unref();
      child.channel?.unref();
      resolve({
        url: `http://127.0.0.1:${listening}/v1/chat/completions`,
        stop: () =>
          new Promise((done) =>
            child.exitCode !== null ? done() : (child.once('exit', () => done()), child.kill()),
          ),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve(Number(process.argv[2] ?? 0));
