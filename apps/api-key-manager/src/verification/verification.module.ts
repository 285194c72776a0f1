import { Module } from '@nestjs/common';
import { ServiceKeys } from '../auth/service-key.guard';
import { KeyStoreModule } from '../keys/key-store.module';
import { UsageModule } from '../usage/usage.module';
import { VerificationController } from './verification.controller';
import { VerificationService } from './verification.service';

@Module({
  imports: [KeyStoreModule, UsageModule],
  controllers: [VerificationController],
  providers: [VerificationService, ServiceKeys],
  exports: [VerificationService],
})
export class VerificationModule {}
