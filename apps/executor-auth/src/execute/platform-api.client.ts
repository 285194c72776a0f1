import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Agent, type Dispatcher } from 'undici';
import type { ExecutorAuthEnv } from '../config/env';
import { BodyTooLargeError, classifyFailure, errorCodeOf, readBody } from '../upstream/upstream-http';
import { ExecuteErrorCode, ExecuteException } from './execute.exception';

/** One call to a platform API, ready to send but for the bearer token. */
export interface PlatformCall {
  readonly method: Dispatcher.HttpMethod;
  /** API root path + normalised path + query string. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface PlatformReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** Sends calls to the platform APIs over keep-alive connection pools (one per origin, shared by all requests). */
@Injectable()
export class PlatformApiClient implements OnApplicationShutdown {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(config: ConfigService<ExecutorAuthEnv, true>) {
    this.timeoutMs = config.get('API_EXECUTOR_TIMEOUT', { infer: true }) * 1000;
    this.maxResponseBytes = config.get('API_EXECUTOR_MAX_RESPONSE_BYTES', { infer: true });
    this.agent = new Agent({
      connections: config.get('API_EXECUTOR_MAX_CONNECTIONS', { infer: true }),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /**
   * Resolves with whatever the platform answered, whatever its status. Throws an ExecuteException when there is
   * no complete answer: unreachable, no answer before `deadline`, or a body above API_EXECUTOR_MAX_RESPONSE_BYTES.
   */
  async send(
    origin: string,
    call: PlatformCall,
    token: string,
    deadline: AbortSignal,
  ): Promise<PlatformReply> {
    try {
      const response = await this.agent.request({
        origin,
        path: call.path,
        method: call.method,
        headers: { ...call.headers, authorization: `Bearer ${token}` },
        body: call.body,
        signal: deadline,
      });
      const body = await readBody(response, this.maxResponseBytes);
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        throw new ExecuteException(
          ExecuteErrorCode.RESPONSE_TOO_LARGE,
          `The platform's response is larger than ${this.maxResponseBytes} bytes (API_EXECUTOR_MAX_RESPONSE_BYTES)`,
        );
      }
      if (classifyFailure(error, deadline) === 'timeout') {
        throw new ExecuteException(
          ExecuteErrorCode.PLATFORM_TIMEOUT,
          `The platform did not answer within ${this.timeoutMs / 1000} s (API_EXECUTOR_TIMEOUT)`,
        );
      }
      throw new ExecuteException(
        ExecuteErrorCode.PLATFORM_UNREACHABLE,
        `Could not reach the platform API (${errorCodeOf(error)})`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.destroy();
  }
}
