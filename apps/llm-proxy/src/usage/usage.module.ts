import { Module } from '@nestjs/common';
import { AdminKeyGuard } from './admin-key.guard';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

@Module({
  controllers: [UsageController],
  providers: [UsageService, AdminKeyGuard],
  exports: [UsageService],
})
export class UsageModule {}
