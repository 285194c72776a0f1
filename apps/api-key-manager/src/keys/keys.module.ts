import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { VerificationModule } from '../verification/verification.module';
import { KeyStoreModule } from './key-store.module';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';

@Module({
  imports: [KeyStoreModule, VerificationModule, AuditModule],
  controllers: [KeysController],
  providers: [KeysService],
})
export class KeysModule {}
