import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ServiceKeys } from '../auth/service-key.guard';
import { KeyStoreModule } from '../keys/key-store.module';
import { AzureTableUsageStore } from './azure-table-usage.store';
import { UsageExporter } from './usage-export.service';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';
import { UsageStore } from './usage.store';

@Module({
  imports: [KeyStoreModule, AuditModule],
  controllers: [UsageController],
  providers: [UsageService, UsageExporter, ServiceKeys, { provide: UsageStore, useClass: AzureTableUsageStore }],
  exports: [UsageService],
})
export class UsageModule {}
