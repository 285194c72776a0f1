import { Controller, Get, Inject, Logger, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { ReadinessRegistry } from './readiness-registry';
import { ShutdownState } from './shutdown-state';

export const HEALTH_APP_INFO = Symbol('HEALTH_APP_INFO');

export interface HealthAppInfo {
  readonly app: string;
  readonly version: string;
}

type ReadinessBody = HealthCheckResult & { message?: string };

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');
  private lastReady: boolean | null = null;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ReadinessRegistry,
    private readonly shutdown: ShutdownState,
    @Inject(HEALTH_APP_INFO) private readonly info: HealthAppInfo,
  ) {}

  @Get('live')
  @ApiOkResponse({ description: 'The process is up. Never calls a dependency.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({ description: 'Every registered dependency answered in time.' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down, a credential is missing, or the app is shutting down.' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessBody> {
    return this.runChecks(reply);
  }

  /** Process facts plus the readiness checks; 503 when not ready. Apps with a seed `/health` of their own turn it off. */
  async details(reply: FastifyReply): Promise<ReadinessBody & { app: string; version: string; uptime_seconds: number; timestamp: string }> {
    const result = await this.runChecks(reply);
    return {
      app: this.info.app,
      version: this.info.version,
      uptime_seconds: Math.floor(process.uptime()),
      timestamp: new Date().toISOString(),
      ...result,
    };
  }

  private async runChecks(reply: FastifyReply): Promise<ReadinessBody> {
    const checks: HealthIndicatorFunction[] = [
      () => {
        const session = this.indicators.check('lifecycle');
        return this.shutdown.shuttingDown ? session.down('shutting down') : session.up();
      },
      ...this.registry.list().map(
        ({ name, check, timeoutMs }) =>
          () =>
            this.indicators
              .check(name)
              .attempt(({ signal }) => check(signal))
              .withTimeout(timeoutMs),
      ),
    ];
    try {
      const result = await this.health.check(checks);
      this.noteReadiness(true, 'ready');
      return result;
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const body = error.getResponse() as HealthCheckResult;
      reply.status(503);
      const reasons = Object.entries(body.error ?? {}).map(([name, detail]) =>
        typeof detail?.['message'] === 'string' ? `${name}: ${detail['message']}` : `${name} is down`,
      );
      const message = `not ready: ${reasons.join('; ')}`;
      this.noteReadiness(false, message);
      return { ...body, message };
    }
  }

  private noteReadiness(ready: boolean, message: string): void {
    if (this.lastReady === ready) return;
    this.lastReady = ready;
    if (ready) this.logger.log({ event: 'readiness_changed', ready }, message);
    else this.logger.warn({ event: 'readiness_changed', ready }, message);
  }
}

/** `GET /health`, for apps whose seed had no detailed health route of its own. */
@ApiTags('health')
@Controller('health')
export class HealthDetailsController {
  constructor(private readonly health: HealthController) {}

  @Get()
  @ApiOkResponse({ description: 'App, version, uptime and the state of every dependency.' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; the body says why.' })
  details(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.health.details(reply);
  }
}
