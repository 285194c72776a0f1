import { Controller, type DynamicModule, Get, Inject, Module, type OnModuleInit, Optional, Res, type Type } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { TerminusModule } from '@nestjs/terminus';
import { LOADED_ENV, type LoadedEnv } from '@auth-platform/config';
import { HEALTH_APP_INFO, HealthController, HealthDetailsController } from './health.controller';
import { ReadinessRegistry } from './readiness-registry';
import { ShutdownState } from './shutdown-state';

export interface HealthModuleOptions {
  /** Serve `GET /health` with details (default true). Off for apps whose seed defines its own `/health`. */
  readonly details?: boolean;
  readonly version?: string;
  /** Extra paths for the probes, kept for migrating clients (e.g. `liveness`, `readiness`). */
  readonly aliases?: { readonly live: readonly [string, ...string[]]; readonly ready: readonly [string, ...string[]] };
}

/** A controller serving the probes at the alias paths, built at module creation because paths are decorator data. */
function aliasController(aliases: NonNullable<HealthModuleOptions['aliases']>): Type {
  @ApiTags('health')
  @Controller()
  class HealthAliasController {
    constructor(private readonly health: HealthController) {}

    @Get([...aliases.live])
    live() {
      return this.health.live();
    }

    @Get([...aliases.ready])
    ready(@Res({ passthrough: true }) reply: FastifyReply) {
      return this.health.ready(reply);
    }
  }
  return HealthAliasController;
}

@Module({})
export class HealthModule implements OnModuleInit {
  constructor(
    private readonly registry: ReadinessRegistry,
    @Optional() @Inject(LOADED_ENV) private readonly env?: LoadedEnv,
  ) {}

  /**
   * Probes for an app: `/health/live`, `/health/ready` and (optionally) `/health`. Global, so any feature module
   * can inject ReadinessRegistry to add the dependencies it needs.
   */
  static forRoot(options: HealthModuleOptions = {}): DynamicModule {
    return {
      module: HealthModule,
      global: true,
      // Readiness changes are logged by HealthController, once per change, not on every failing probe.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [
        HealthController,
        ...(options.details === false ? [] : [HealthDetailsController]),
        ...(options.aliases ? [aliasController(options.aliases)] : []),
      ],
      providers: [
        ReadinessRegistry,
        ShutdownState,
        HealthController,
        {
          provide: HEALTH_APP_INFO,
          useFactory: (env?: LoadedEnv) => ({ app: env?.app ?? 'app', version: options.version ?? '0.0.0' }),
          inject: [{ token: LOADED_ENV, optional: true }],
        },
      ],
      exports: [ReadinessRegistry, ShutdownState, HealthController],
    };
  }

  /** A development instance started without an outside credential stays not ready, and says which. */
  onModuleInit(): void {
    const missing = this.env?.missingCredentials ?? [];
    this.registry.register('configuration', async () => {
      if (missing.length > 0) throw new Error(`waiting for ${missing.join(', ')}`);
    });
  }
}
