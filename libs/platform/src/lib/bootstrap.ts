import { type DynamicModule, Logger as NestLogger, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { apiReference } from '@scalar/nestjs-api-reference';
import type { DestinationStream } from 'pino';
import { type BaseEnv, EnvValidationError, type EnvSpec, type LoadedEnv, resolveEnv } from '@auth-platform/config';
import { ShutdownState } from '@auth-platform/health';
import { FastRoutes } from './fast-route';
import { AccessLogController, LOG_ANNOTATIONS, PinoNestLogger, createLogger } from './logging';
import { MetricsService } from './metrics';
import { PlatformModule } from './platform.module';
import { REQUEST_ID_HEADER, assignRequestId } from './request-id';
import { securityHeaders } from './security-headers';

export interface PlatformOptions {
  /** The app's env spec; the same object its AppConfigModule uses. */
  readonly env: EnvSpec;
  readonly version?: string;
  readonly docs?: {
    readonly title: string;
    readonly description: string;
    /** The page at /docs: Swagger UI (default) or the Scalar API reference. */
    readonly ui?: 'swagger' | 'scalar';
    readonly configure?: (builder: DocumentBuilder) => void;
  };
  /** Where log lines go (stdout by default); tests pass a stream to read them. */
  readonly logDestination?: DestinationStream;
}

export interface PlatformApp {
  readonly app: NestFastifyApplication;
  readonly env: LoadedEnv;
}

@Module({})
class PlatformRootModule {}

/** The Scalar API reference page for /openapi.json, rendered once (its handler writes to a raw response). */
function scalarPage(): string {
  let html = '';
  const render = apiReference({ url: '/openapi.json', withFastify: true }) as (request: unknown, response: ServerResponse) => void;
  render({}, { writeHead: () => undefined, write: (chunk: string) => (html += chunk), end: () => undefined } as unknown as ServerResponse);
  return html;
}

function docsEnabled(values: BaseEnv): boolean {
  return values.DOCS_ENABLED ?? values.NODE_ENV !== 'production';
}

/** Builds the app (Fastify, logging, metrics, errors, docs, security headers) without listening. */
export async function createPlatformApp(appModule: Type | DynamicModule, options: PlatformOptions): Promise<PlatformApp> {
  const env = resolveEnv(options.env);
  const values = env.values as BaseEnv;
  const root: DynamicModule = { module: PlatformRootModule, imports: [PlatformModule.forRoot(), appModule] };
  // Fastify's own pino logger, rather than a Nest middleware around pino-http: the middleware cost about a third
  // of a small route's throughput here.
  const logger = createLogger({ app: env.app, level: values.LOG_LEVEL, destination: options.logDestination });
  const adapter = new FastifyAdapter({
    bodyLimit: values.BODY_LIMIT_BYTES,
    genReqId: assignRequestId,
    loggerInstance: logger,
    logController: new AccessLogController(),
    // No child logger per request (pino's child() re-runs redaction over its bindings each time): the access
    // line carries request_id itself.
    childLoggerFactory: (parent: FastifyBaseLogger) => parent,
    return503OnClosing: true,
    // No Nest middleware in any app: without middie, no request runs through a middleware chain that is empty.
    skipMiddie: true,
    // For fast routes' schemas: unknown fields and wrong types are refused, never silently dropped or coerced.
    // `example` is OpenAPI documentation, which the same schemas feed.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true, keywords: ['example'] } },
  });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, { bufferLogs: true, abortOnError: false });
  app.useLogger(new PinoNestLogger(logger));
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  // Properties added to a request later change its hidden class and slow every request; declare them up front.
  fastify.decorateRequest(LOG_ANNOTATIONS, undefined);
  const shutdown = app.get(ShutdownState);
  const headers = securityHeaders(options.docs?.ui ?? 'swagger');
  // Callback-style hooks: an async hook costs a promise per request on every route.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith('/docs') ? headers.docs : headers.api);
    reply.header(REQUEST_ID_HEADER, request.id);
    // While draining, tell keep-alive clients to reconnect (to another replica) after this response.
    if (shutdown.shuttingDown) reply.header('connection', 'close');
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  if (values.CORS_ORIGINS.length > 0) {
    app.enableCors({ origin: values.CORS_ORIGINS, credentials: false, exposedHeaders: [REQUEST_ID_HEADER] });
  }
  await app.init();
  const fastRoutes = app.get(FastRoutes);
  fastRoutes.register(fastify);
  if (docsEnabled(values)) {
    const builder = new DocumentBuilder()
      .setTitle(options.docs?.title ?? env.app)
      .setDescription(options.docs?.description ?? '')
      .setVersion(options.version ?? '0.0.0');
    options.docs?.configure?.(builder);
    const document = SwaggerModule.createDocument(app, builder.build());
    Object.assign(document.paths, fastRoutes.openApiPaths());
    const scalar = options.docs?.ui === 'scalar';
    SwaggerModule.setup('docs', app, document, {
      jsonDocumentUrl: 'openapi.json',
      yamlDocumentUrl: 'openapi.yaml',
      ui: !scalar,
    });
    if (scalar) {
      const page = scalarPage();
      fastify.get('/docs', (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
    }
  }
  await fastify.ready();
  return { app, env };
}

/**
 * Readiness fails at once; after SHUTDOWN_DELAY_MS (time for load balancers to notice) the server stops taking
 * connections and waits for in-flight requests. Resolves true when drained within SHUTDOWN_TIMEOUT_MS.
 */
export async function shutdownGracefully(platform: PlatformApp): Promise<boolean> {
  const { app, env } = platform;
  const values = env.values as BaseEnv;
  app.get(ShutdownState).begin();
  const logger = new NestLogger('Platform');
  logger.log({ event: 'shutdown_started', delay_ms: values.SHUTDOWN_DELAY_MS }, 'shutting down');
  await new Promise((resolve) => setTimeout(resolve, values.SHUTDOWN_DELAY_MS));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), values.SHUTDOWN_TIMEOUT_MS);
  });
  // A keep-alive connection whose request finishes after close() began would otherwise hold the server open
  // until its idle timeout.
  const server = app.getHttpServer();
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  const drained = await Promise.race([app.close().then(() => true as const), timedOut]);
  clearInterval(sweeper);
  clearTimeout(timer);
  logger.log({ event: drained ? 'shutdown_complete' : 'shutdown_timed_out' }, drained ? 'stopped' : 'drain timed out');
  return drained;
}

function exitOnInvalidConfig(spec: EnvSpec): void {
  try {
    resolveEnv(spec);
  } catch (error) {
    if (!(error instanceof EnvValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** What every app's main.ts calls: validate config (exit 1 if invalid), build, listen, and drain on SIGTERM. */
export async function bootstrap(appModule: Type | DynamicModule, options: PlatformOptions): Promise<PlatformApp> {
  exitOnInvalidConfig(options.env);
  const platform = await createPlatformApp(appModule, options);
  const values = platform.env.values as BaseEnv;
  const logger = new NestLogger('Platform');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log({ event: 'signal', signal }, 'received signal');
    void shutdownGracefully(platform).then((drained) => process.exit(drained ? 0 : 1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  await platform.app.listen({ port: values.PORT, host: '0.0.0.0' });
  logger.log(
    { event: 'listening', port: values.PORT, docs: docsEnabled(values), config: platform.env.redacted, waiting_for: platform.env.missingCredentials },
    'listening',
  );
  return platform;
}
