#!/usr/bin/env node
// Signs a request for llm-proxy's HMAC scheme and prints the curl command that sends it.
//
//   LLM_PROXY_CLIENT_SECRET=... node apps/llm-proxy/scripts/sign-request.mjs \
//     --url http://localhost:8002/v1/chat/completions --client desktop --product product-a --user alice \
//     --body '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'
//
// The secret comes from the environment, not the command line (which ps and shell history keep). The string signed
// is exactly the crypto lib's canonicalRequest:
//   METHOD \n PATH \n TIMESTAMP \n NONCE \n PRODUCT \n USER \n SHA256_HEX(body)
// PATH is the URL's path and query as sent; NONCE is empty when --no-nonce is given.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:8002/v1/chat/completions' },
    method: { type: 'string' },
    client: { type: 'string' },
    product: { type: 'string' },
    user: { type: 'string' },
    body: { type: 'string' },
    'body-file': { type: 'string' },
    'no-nonce': { type: 'boolean', default: false },
    timestamp: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

function fail(message) {
  process.stderr.write(`sign-request: ${message}\n`);
  process.exit(2);
}

const secret = process.env.LLM_PROXY_CLIENT_SECRET;
if (!secret)
  fail('set LLM_PROXY_CLIENT_SECRET to the client secret (API_KEY_SERVER_CLIENT_HMAC_SECRETS[client])');
for (const name of ['client', 'product', 'user']) if (!values[name]) fail(`--${name} is required`);
if (values.body !== undefined && values['body-file'] !== undefined)
  fail('give --body or --body-file, not both');

const body =
  values['body-file'] !== undefined
    ? readFileSync(values['body-file'])
    : Buffer.from(values.body ?? '', 'utf8');
const method = (values.method ?? (body.length > 0 ? 'POST' : 'GET')).toUpperCase();
const url = new URL(values.url);
const path = `${url.pathname}${url.search}`;
const timestamp = values.timestamp ?? String(Math.floor(Date.now() / 1000));
const nonce = values['no-nonce'] ? '' : randomUUID();

const canonical = [
  method,
  path,
  timestamp,
  nonce,
  values.product,
  values.user,
  createHash('sha256').update(body).digest('hex'),
].join('\n');
const signature = createHmac('sha256', secret).update(canonical).digest('hex');

const headers = {
  'X-Client-Id': values.client,
  'X-Product-Id': values.product,
  'X-User-Id': values.user,
  'X-Timestamp': timestamp,
  ...(nonce ? { 'X-Nonce': nonce } : {}),
  'X-Signature': signature,
};

if (values.json) {
  process.stdout.write(`${JSON.stringify({ method, url: url.toString(), headers, canonical })}\n`);
} else {
  const quote = (text) => `'${text.replaceAll("'", "'\\''")}'`;
  const parts = [`curl -sS -X ${method} ${quote(url.toString())}`];
  for (const [name, value] of Object.entries(headers)) parts.push(`-H ${quote(`${name}: ${value}`)}`);
  if (body.length > 0) {
    parts.push(`-H 'Content-Type: application/json'`);
    parts.push(
      values['body-file'] !== undefined
        ? `--data-binary @${quote(values['body-file'])}`
        : `--data-binary ${quote(body.toString('utf8'))}`,
    );
  }
  process.stdout.write(`${parts.join(' \\\n  ')}\n`);
}
