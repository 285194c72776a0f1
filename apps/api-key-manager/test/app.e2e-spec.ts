import { describeAppBoot } from '@auth-platform/testing';

describeAppBoot('api-key-manager', {
  waitsFor: 'AZURE_STORAGE_CONNECTION_STRING',
  credentials: {
    AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
    ADMIN_API_KEY: 'admin-key',
    API_KEY_HASH_PEPPER: 'pepper',
  },
});
