import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { HttpErrorFilter } from './http-error.filter';
import { type LoggingOptions, loggerParams } from './logging';
import { MetricsModule } from './metrics';

/** Cross-cutting pieces every app gets: structured logs, metrics, the error filter and strict validation. */
@Module({})
export class PlatformModule {
  static forRoot(logging: LoggingOptions): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [LoggerModule.forRoot(loggerParams(logging)), MetricsModule],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
        },
      ],
      exports: [MetricsModule],
    };
  }
}
