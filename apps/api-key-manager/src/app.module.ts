import { Module } from '@nestjs/common';
import { AppConfigModule } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { apiKeyManagerEnv } from './config/env';

@Module({
  imports: [AppConfigModule.forRoot(apiKeyManagerEnv), HealthModule.forRoot()],
})
export class AppModule {}
