import { Module } from '@nestjs/common';
import { ServiceKeys } from '../auth/service-key.guard';
import { KeyStoreModule } from '../keys/key-store.module';
import { UsageModule } from '../usage/usage.module';
import { VerificationRoute } from './verification.route';
import { VerificationService } from './verification.service';

@Module({
  imports: [KeyStoreModule, UsageModule],
  providers: [VerificationService, ServiceKeys, VerificationRoute],
  exports: [VerificationService],
})
export class VerificationModule {}
