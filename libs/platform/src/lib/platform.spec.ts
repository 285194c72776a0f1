import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { Body, Controller, Get, Injectable, Logger, Module, Param, Post, Query } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Min } from 'class-validator';
import { AppConfigModule, defineEnv } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { type PlatformApp, createPlatformApp, shutdownGracefully } from './bootstrap';
import { FastRoutes, schemaErrorMessage } from './fast-route';
import { HttpErrorWithHeaders } from './http-error.filter';

class CreateItemDto {
  @ApiProperty() @IsString() name!: string;
  @ApiProperty() @IsInt() @Min(1) quantity!: number;
}

@Controller('items')
class ItemsController {
  private readonly logger = new Logger('Items');

  @Get(':id')
  find(@Param('id') id: string, @Query('token') _token?: string) {
    this.logger.log({ event: 'item_read', id, token: 'logged-token-value', nested: { password: 'logged-password' } }, 'read');
    return { id };
  }

  @Post()
  create(@Body() item: CreateItemDto) {
    return item;
  }

  @Get('fail/unexpected')
  unexpected(): never {
    throw new Error('database password=hunter2 rejected');
  }

  @Get('fail/limited')
  limited(): never {
    throw new HttpErrorWithHeaders(429, 'Too many requests; retry later', { 'Retry-After': '7' });
  }

  @Get('slow/:ms')
  async slow(@Param('ms') ms: string) {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return { waited: Number(ms) };
  }
}

class OutOfStock extends Error {}

@Injectable()
class OrdersRoute {
  constructor(routes: FastRoutes) {
    routes.add({
      method: 'POST',
      url: '/orders/:sku',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { quantity: { type: 'integer', minimum: 1, example: 2 }, email: { type: 'string', format: 'email' } },
      },
      response: { type: 'object', properties: { sku: { type: 'string' }, quantity: { type: 'integer' } } },
      mapError: (error) => (error instanceof OutOfStock ? new HttpErrorWithHeaders(409, 'Out of stock', { 'Retry-After': '60' }) : error),
      docs: { summary: 'Order an item', tags: ['orders'], security: ['bearer'], responses: { 400: 'Malformed body.', 409: 'Out of stock.' } },
      handler: (request) => {
        const { sku } = request.params as { sku: string };
        const { quantity = 1 } = request.body as { quantity?: number };
        if (sku === 'gone') throw new OutOfStock();
        if (sku === 'bug') throw new Error('connection string password=hunter2');
        return { sku, quantity, internal: 'not in the response schema' };
      },
    });
  }
}

const spec = defineEnv({ app: 'platform-spec', defaultPort: 0, shape: {} });

@Module({ imports: [AppConfigModule.forRoot(spec), HealthModule.forRoot()], controllers: [ItemsController], providers: [OrdersRoute] })
class TestAppModule {}

/** Log lines for a response are written just after it is sent; wait briefly for them. */
async function eventually<T>(probe: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

class LineSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

async function start(env: Record<string, string> = {}): Promise<{ platform: PlatformApp; url: string; logs: LineSink }> {
  const saved = { ...process.env };
  Object.assign(process.env, { PORT: '1', ...env });
  const logs = new LineSink();
  try {
    const platform = await createPlatformApp(TestAppModule, { env: spec, logDestination: logs });
    await platform.app.listen({ port: 0, host: '127.0.0.1' });
    const address = platform.app.getHttpServer().address() as { port: number };
    return { platform, url: `http://127.0.0.1:${address.port}`, logs };
  } finally {
    process.env = saved;
  }
}

describe('platform', () => {
  let platform: PlatformApp;
  let url: string;
  let logs: LineSink;

  beforeAll(async () => {
    ({ platform, url, logs } = await start());
  });
  afterAll(async () => {
    await platform.app.close();
  });

  describe('fast routes', () => {
    const order = (sku: string, body?: unknown) =>
      fetch(`${url}/orders/${sku}`, {
        method: 'POST',
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });

    it('serves the route with the platform headers, serializing only what the response schema names', async () => {
      const response = await order('abc', { quantity: 3 });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sku: 'abc', quantity: 3 });
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('treats an absent body as an empty object', async () => {
      const response = await order('abc');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sku: 'abc', quantity: 1 });
    });

    it.each([
      [{ quantity: '3' }, 'quantity must be an integer number'],
      [{ quantity: 0 }, 'quantity must not be less than 1'],
      [{ colour: 'red' }, 'property colour should not exist'],
      [{ email: 'nope' }, 'email must be an email'],
      [[1], 'body must be an object'],
    ])('refuses %j with 400 naming the problem', async (body, message) => {
      const response = await order('abc', body);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ statusCode: 400, error: 'Bad Request', message });
    });

    it('answers malformed JSON with the platform error shape', async () => {
      const response = await fetch(`${url}/orders/abc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"quantity":' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });

    it("maps the app's own errors, and hides unexpected ones behind a generic 500", async () => {
      const gone = await order('gone');
      expect(gone.status).toBe(409);
      expect(gone.headers.get('retry-after')).toBe('60');
      expect(await gone.json()).toEqual({ statusCode: 409, error: 'Conflict', message: 'Out of stock' });
      const bug = await order('bug');
      expect(bug.status).toBe(500);
      const text = await bug.text();
      expect(text).not.toContain('hunter2');
      expect(JSON.parse(text)).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'An unexpected error occurred' });
    });

    it('appears in /openapi.json with its schemas, security and answers', async () => {
      const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
      const operation = document.paths['/orders/{sku}']!['post']!;
      expect(operation).toMatchObject({ summary: 'Order an item', tags: ['orders'], security: [{ bearer: [] }] });
      expect(Object.keys(operation['responses'] as object).sort()).toEqual(['200', '400', '409']);
      expect(operation['requestBody']).toMatchObject({ content: { 'application/json': { schema: { properties: { quantity: { type: 'integer' } } } } } });
      expect(document.paths['/items/{id}']).toBeDefined();
    });

    it('words several schema errors at once', () => {
      expect(
        schemaErrorMessage([
          { keyword: 'minItems', instancePath: '/scopes', params: { limit: 1 } },
          { keyword: 'maximum', instancePath: '/lifetime', params: { limit: 3600 } },
          { keyword: 'required', instancePath: '', params: { missingProperty: 'key' } },
        ]),
      ).toBe('scopes should not be empty; lifetime must not be greater than 3600; key should not be empty');
    });
  });

  describe('request ids', () => {
    it('generates one when the caller sends none and echoes it on the response', async () => {
      const response = await fetch(`${url}/items/1`);
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it("keeps the caller's id and puts it on the request's log line", async () => {
      const response = await fetch(`${url}/items/2`, { headers: { 'x-request-id': 'trace-abc.123' } });
      expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
      const completed = await eventually(() =>
        logs.lines.map((l) => JSON.parse(l)).find((entry) => entry.request_id === 'trace-abc.123' && entry.msg === 'request completed'),
      );
      expect(completed).toMatchObject({ app: 'platform-spec', status_code: 200, method: 'GET', url: '/items/2' });
      expect(completed.response_time_ms).toEqual(expect.any(Number));
    });

    it('replaces an id that is too long or has unsafe characters', async () => {
      for (const given of ['x'.repeat(200), 'a b', 'inject\u0000']) {
        const response = await fetch(`${url}/items/3`, { headers: { 'x-request-id': encodeURI(given) } });
        expect(response.headers.get('x-request-id')).not.toBe(encodeURI(given));
        expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('log redaction', () => {
    it('puts no credential from headers, query or logged objects in any log line', async () => {
      await fetch(`${url}/items/9?token=secret-q&page=2`, {
        headers: { authorization: 'Bearer secret-x', cookie: 'session=secret-c', 'x-api-key': 'secret-k' },
      });
      const all = logs.lines.join('\n');
      for (const secret of ['secret-x', 'secret-c', 'secret-k', 'secret-q', 'logged-token-value', 'logged-password']) {
        expect(all).not.toContain(secret);
      }
      expect(all).toContain('page=2');
      expect(all).toContain('"event":"item_read"');
    });
  });

  describe('errors', () => {
    async function errorOf(response: Response): Promise<{ statusCode: number; error: string; message: string }> {
      expect(response.headers.get('content-type')).toContain('application/json');
      return (await response.json()) as { statusCode: number; error: string; message: string };
    }

    it('answers a malformed JSON body with 400 in the standard shape', async () => {
      const response = await fetch(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('not valid JSON') });
    });

    it('names each invalid field of a body and refuses unknown ones', async () => {
      const response = await fetch(`${url}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 3, quantity: 0, admin: true }),
      });
      expect(response.status).toBe(400);
      const body = await errorOf(response);
      expect(body.message).toContain('name must be a string');
      expect(body.message).toContain('quantity must not be less than 1');
      expect(body.message).toContain('property admin should not exist');
    });

    /**
     * A POST that announces `bytes` of JSON and sends only its start: the server answers 413 from Content-Length
     * alone, and the test does not race it closing the socket while a large body is still being written (EPIPE).
     */
    function postAnnouncingBody(bytes: number): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
      return new Promise((resolve, reject) => {
        const request = httpRequest(
          `${url}/items`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes } },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 0,
                type: String(response.headers['content-type']),
                body: JSON.parse(text) as Record<string, unknown>,
              }),
            );
          },
        );
        request.on('error', reject);
        request.write('{"name":"');
      });
    }

    it('answers an oversized body with 413', async () => {
      const response = await postAnnouncingBody(2 * 1024 * 1024);
      expect(response.status).toBe(413);
      expect(response.type).toContain('application/json');
      expect(response.body['error']).toBe('Payload Too Large');
    });

    it('answers an unknown route with 404 in the standard shape', async () => {
      const response = await fetch(`${url}/nowhere`);
      expect(response.status).toBe(404);
      expect(await errorOf(response)).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nowhere' });
    });

    it('hides an unexpected error behind a generic 500 and logs it for the operator', async () => {
      const response = await fetch(`${url}/items/fail/unexpected`);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'An unexpected error occurred' });
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('at ');
      expect(logs.lines.some((line) => line.includes('"event":"unhandled_error"'))).toBe(true);
    });

    it('sends the headers an error carries', async () => {
      const response = await fetch(`${url}/items/fail/limited`);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(await errorOf(response)).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Too many requests; retry later' });
    });
  });

  it('sends security headers suited to an API, and a policy Swagger UI can run under on /docs', async () => {
    const api = await fetch(`${url}/health/live`);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-frame-options')).toBe('DENY');
    expect(api.headers.get('strict-transport-security')).toContain('max-age=');
    expect(api.headers.get('cache-control')).toBe('no-store');
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    const docs = await fetch(`${url}/docs`);
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self' 'unsafe-inline'");
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('labels request metrics with the route pattern, not the raw URL', async () => {
    await fetch(`${url}/items/12345`);
    const exposition = await (await fetch(`${url}/metrics`)).text();
    expect(exposition).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/items\/:id",status_code="200"\} \d+/);
    expect(exposition).not.toContain('/items/12345');
  });

  it('documents the routes in /openapi.json', async () => {
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown>; info: { title: string } };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/items', '/items/{id}', '/health/live']));
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });
});

describe('platform options', () => {
  it('allows only the configured CORS origins', async () => {
    const { platform, url } = await start({ CORS_ORIGINS: 'https://console.example.test' });
    try {
      const preflight = (origin: string) =>
        fetch(`${url}/items/1`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
      expect((await preflight('https://console.example.test')).headers.get('access-control-allow-origin')).toBe('https://console.example.test');
      expect((await preflight('https://evil.example.test')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await platform.app.close();
    }
  });

  it('can serve the Scalar API reference at /docs instead of Swagger UI', async () => {
    const saved = { ...process.env };
    const logs = new LineSink();
    Object.assign(process.env, { PORT: '1' });
    const platform = await createPlatformApp(TestAppModule, {
      env: spec,
      logDestination: logs,
      docs: { title: 'Scalar spec', description: 'x', ui: 'scalar' },
    });
    process.env = saved;
    try {
      await platform.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(platform.app.getHttpServer().address() as { port: number }).port}`;
      const page = await fetch(`${url}/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const html = await page.text();
      expect(html).toContain('/openapi.json');
      expect(html.toLowerCase()).toContain('scalar');
      expect(page.headers.get('content-security-policy')).toContain('https://cdn.jsdelivr.net');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
    } finally {
      await platform.app.close();
    }
  });

  it('honours BODY_LIMIT_BYTES', async () => {
    const { platform, url } = await start({ BODY_LIMIT_BYTES: '2048' });
    try {
      const response = await fetch(`${url}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x'.repeat(4096), quantity: 1 }),
      });
      expect(response.status).toBe(413);
    } finally {
      await platform.app.close();
    }
  });

  it('turns readiness 503 at once on shutdown, finishes in-flight requests, then stops', async () => {
    const { platform, url } = await start({ SHUTDOWN_DELAY_MS: '400' });
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    const inFlight = fetch(`${url}/items/slow/700`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = shutdownGracefully(platform);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { message: string }).message).toContain('lifecycle: shutting down');
    const slow = await inFlight;
    expect(slow.status).toBe(200);
    expect(await slow.json()).toEqual({ waited: 700 });
    await expect(stopping).resolves.toBe(true);
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
