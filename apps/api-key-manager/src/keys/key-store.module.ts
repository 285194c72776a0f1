import { Module } from '@nestjs/common';
import { ApiKeyStore } from './api-key.store';
import { AzureTableApiKeyStore } from './azure-table-api-key.store';
import { KeyHashing } from './key-hashing.service';

/** Key storage and hashing, shared by lifecycle, verification and usage. */
@Module({
  providers: [{ provide: ApiKeyStore, useClass: AzureTableApiKeyStore }, KeyHashing],
  exports: [ApiKeyStore, KeyHashing],
})
export class KeyStoreModule {}
