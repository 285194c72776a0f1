import { Module } from '@nestjs/common';
import { AuditLog } from './audit.log';
import { AzureTableAuditLog } from './azure-table-audit.log';

@Module({ providers: [{ provide: AuditLog, useClass: AzureTableAuditLog }], exports: [AuditLog] })
export class AuditModule {}
