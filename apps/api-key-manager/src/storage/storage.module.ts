import { Global, Module } from '@nestjs/common';
import { AzureStorage } from './azure-storage.service';

/** The storage account, shared by every feature (global: one set of clients and one circuit breaker per app). */
@Global()
@Module({ providers: [AzureStorage], exports: [AzureStorage] })
export class StorageModule {}
