import { Module } from '@nestjs/common';
import { AppConfigModule } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { llmProxyEnv } from './config/env';

@Module({
  imports: [AppConfigModule.forRoot(llmProxyEnv), HealthModule.forRoot()],
})
export class AppModule {}
