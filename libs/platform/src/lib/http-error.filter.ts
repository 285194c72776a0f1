import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The body every error gets: `{ statusCode, error, message }`. */
export interface ErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string;
}

/** An HttpException that also sets response headers (`WWW-Authenticate`, `Retry-After`, ...). */
export class HttpErrorWithHeaders extends HttpException {
  constructor(
    status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>>,
  ) {
    super(message, status);
  }
}

function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function messageOf(response: unknown, fallback: string): string {
  if (typeof response === 'string') return response;
  if (response && typeof response === 'object' && 'message' in response) {
    const message = (response as { message: unknown }).message;
    if (Array.isArray(message)) return message.map(String).join('; ');
    if (typeof message === 'string') return message;
  }
  return fallback;
}

/** Fastify's own errors (bad JSON, body too large, unsupported media type) carry a 4xx statusCode and a safe message. */
function isFastifyClientError(error: unknown): error is Error & { statusCode: number; code: string } {
  if (!(error instanceof Error)) return false;
  const { statusCode, code } = error as Error & { statusCode?: unknown; code?: unknown };
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && typeof code === 'string' && code.startsWith('FST_');
}

export function toErrorBody(error: unknown): { body: ErrorBody; headers: Readonly<Record<string, string>> } {
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const headers = error instanceof HttpErrorWithHeaders ? error.headers : {};
    return { body: { statusCode: status, error: reason(status), message: messageOf(error.getResponse(), reason(status)) }, headers };
  }
  if (isFastifyClientError(error)) {
    return { body: { statusCode: error.statusCode, error: reason(error.statusCode), message: error.message }, headers: {} };
  }
  return { body: { statusCode: 500, error: reason(500), message: 'An unexpected error occurred' }, headers: {} };
}

/** The one place errors become HTTP responses, for Nest handlers and Fastify's own request errors alike. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

export function sendError(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  const { body, headers } = toErrorBody(exception);
  // An HttpException is an answer the app chose (a 502 for a failed upstream, a 503 while not ready); only an
  // unexpected error is logged here, with its stack, for the operator.
  if (body.statusCode >= 500 && !(exception instanceof HttpException)) {
    logger.error({ event: 'unhandled_error', requestId: request.id, err: exception }, 'request failed');
  }
  void reply.headers(headers).status(body.statusCode).send(body);
}
