import { Module } from '@nestjs/common';
import { ExecutorApiKeyGuard } from '../auth/api-key.guard';
import { PlatformTokenModule } from '../platform-token/platform-token.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { ExecuteController } from './execute.controller';
import { ExecuteService } from './execute.service';
import { PlatformApiClient } from './platform-api.client';

@Module({
  imports: [ProfilesModule, PlatformTokenModule],
  controllers: [ExecuteController],
  providers: [ExecuteService, PlatformApiClient, ExecutorApiKeyGuard],
})
export class ExecuteModule {}
