import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata, type OptionalFactoryDependency } from '@nestjs/common';
import { RateLimitGuard } from './rate-limit.guard';
import { RATE_LIMIT_OPTIONS, type RateLimitModuleOptions } from './rate-limit.options';
import { RateLimitService } from './rate-limit.service';
import { RateLimitThrottlerStorage } from './throttler.storage';

export interface RateLimitModuleAsyncOptions {
  readonly imports?: ModuleMetadata['imports'];
  readonly inject?: (InjectionToken | OptionalFactoryDependency)[];
  readonly useFactory: (...args: never[]) => RateLimitModuleOptions | Promise<RateLimitModuleOptions>;
}

const providers = [RateLimitService, RateLimitGuard, RateLimitThrottlerStorage];

/** Global: one store per app, used by `@RateLimit` routes, `@nestjs/throttler` and any service's own limiters. */
@Module({})
export class RateLimitModule {
  static forRoot(options: RateLimitModuleOptions): DynamicModule {
    return {
      module: RateLimitModule,
      global: true,
      providers: [{ provide: RATE_LIMIT_OPTIONS, useValue: options }, ...providers],
      exports: providers,
    };
  }

  static forRootAsync(options: RateLimitModuleAsyncOptions): DynamicModule {
    return {
      module: RateLimitModule,
      global: true,
      imports: options.imports ?? [],
      providers: [{ provide: RATE_LIMIT_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, ...providers],
      exports: providers,
    };
  }
}
