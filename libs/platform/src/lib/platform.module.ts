import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { FastRoutes } from './fast-route';
import { HttpErrorFilter } from './http-error.filter';
import { MetricsModule } from './metrics';

/** Cross-cutting pieces every app gets through DI: metrics, the error filter, strict validation and fast routes. */
@Module({})
export class PlatformModule {
  static forRoot(): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [MetricsModule],
      providers: [
        FastRoutes,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
        },
      ],
      exports: [MetricsModule, FastRoutes],
    };
  }
}
