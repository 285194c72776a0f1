import { Module } from '@nestjs/common';
import { AppConfigModule } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { gcpTokenEnv } from './config/env';

@Module({
  imports: [AppConfigModule.forRoot(gcpTokenEnv), HealthModule.forRoot()],
})
export class AppModule {}
