import { Module } from '@nestjs/common';
import { AppConfigModule } from '@auth-platform/config';
import { HealthModule } from '@auth-platform/health';
import { executorAuthEnv } from './config/env';
import { ExecuteModule } from './execute/execute.module';

@Module({
  // /health lists one check per profile (platform-token:<name>) with the token's expiry, last refresh and failures.
  imports: [AppConfigModule.forRoot(executorAuthEnv), HealthModule.forRoot(), ExecuteModule],
})
export class AppModule {}
