import { Module } from '@nestjs/common';
import { AppConfigModule } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { authManagerEnv } from './config/env';

@Module({
  imports: [AppConfigModule.forRoot(authManagerEnv), HealthModule.forRoot()],
})
export class AppModule {}
