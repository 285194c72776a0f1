import { Module } from '@nestjs/common';
import { AppConfigModule } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { executorAuthEnv } from './config/env';

@Module({
  imports: [AppConfigModule.forRoot(executorAuthEnv), HealthModule.forRoot()],
})
export class AppModule {}
