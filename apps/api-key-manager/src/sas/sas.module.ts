import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { VerificationModule } from '../verification/verification.module';
import { ManagedKeyGuard } from './managed-key.guard';
import { SasController } from './sas.controller';
import { SasService } from './sas.service';

@Module({
  imports: [VerificationModule, AuditModule],
  controllers: [SasController],
  providers: [SasService, ManagedKeyGuard],
})
export class SasModule {}
