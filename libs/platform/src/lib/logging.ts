import type { LoggerService } from '@nestjs/common';
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';

const CENSOR = '[REDACTED]';

/** Field names that hold credentials wherever they appear in a logged object. */
const SENSITIVE_FIELDS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apiKey',
  'key',
  'private_key',
  'privateKey',
];

const SENSITIVE_QUERY = /token|key|secret|password|passwd|signature|sig|code|state|auth|assertion/i;

const PROBE_PATHS = new Set(['/health/live', '/health/ready', '/liveness', '/readiness', '/healthz', '/metrics']);

export function sanitizeUrl(url: string | undefined): string | undefined {
  if (!url || !url.includes('?')) return url;
  const [path, query] = url.split('?', 2) as [string, string];
  const params = new URLSearchParams(query);
  for (const name of [...new Set(params.keys())]) {
    if (SENSITIVE_QUERY.test(name)) params.set(name, CENSOR);
  }
  return `${path}?${params.toString()}`;
}

export interface LoggingOptions {
  readonly app: string;
  readonly level: LevelWithSilent;
  /** Where log lines go (stdout by default); tests pass a stream to read them. */
  readonly destination?: DestinationStream;
}

/** JSON lines for the app and Fastify alike; credentials redacted by field name wherever they appear. */
export function createLogger(options: LoggingOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { app: options.app },
      messageKey: 'msg',
      redact: { paths: SENSITIVE_FIELDS.flatMap((field) => [field, `*.${field}`]), censor: CENSOR },
    },
    // Asynchronous writes: a synchronous write(2) per line was the largest cost of a small request.
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

export const LOG_ANNOTATIONS = 'logAnnotations';
const ANNOTATIONS = LOG_ANNOTATIONS;
type AnnotatedRequest = FastifyRequest & { [ANNOTATIONS]?: Record<string, unknown> };

/**
 * Adds fields to this request's access log line, so a request logs one line that says what it did
 * (`key_id`, `cache`, `outcome`, ...), with its request id, instead of several.
 */
export function annotateRequest(request: FastifyRequest, fields: Record<string, unknown>): void {
  const annotated = request as AnnotatedRequest;
  annotated[ANNOTATIONS] = { ...annotated[ANNOTATIONS], ...fields };
}

/**
 * One access line per request, when it completes: method, path (sensitive query values hidden), status, time,
 * the request id and any annotations; never headers. Probes and scrapes are not logged.
 */
export class AccessLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'request_id' });
  }

  override isLogDisabled(request: FastifyRequest): boolean {
    return PROBE_PATHS.has(request.url.split('?', 1)[0] ?? '');
  }

  override incomingRequest(): void {
    // One line per request, written when it completes.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const level = error || reply.statusCode >= 500 ? 'error' : reply.statusCode >= 400 ? 'warn' : 'info';
    if (!(request.log as unknown as Logger).isLevelEnabled(level)) return;
    const line = {
      request_id: request.id,
      ...(request as AnnotatedRequest)[ANNOTATIONS],
      method: request.method,
      url: sanitizeUrl(request.url),
      status_code: reply.statusCode,
      response_time_ms: Math.round(reply.elapsedTime * 100) / 100,
      remote_address: request.ip,
      user_agent: request.headers['user-agent'],
    };
    request.log[level](line, 'request completed');
  }
}

/** Nest's LoggerService on the same pino logger: `logger.log({ event, ...fields }, 'message')` gives one JSON line. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    // Nest passes a stack string before the context for errors it logs itself; keep it for the operator.
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context = params.length > 0 && typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    const rest = context === undefined ? params : params.slice(0, -1);
    const fields: Record<string, unknown> = context ? { context } : {};
    let text: string | undefined;
    if (message instanceof Error) fields['err'] = message;
    else if (message && typeof message === 'object') Object.assign(fields, message);
    else text = String(message);
    for (const extra of rest) {
      if (typeof extra === 'string' && text === undefined) text = extra;
      else if (typeof extra === 'string') fields['stack'] = extra;
      else if (extra instanceof Error) fields['err'] = extra;
    }
    this.logger[level](fields, text ?? '');
  }
}
