import { describeAppBoot } from '@auth-platform/testing';
import { ADMIN_KEY, PEPPER } from './support/api-key-manager.client';
import { sharedAzurite } from './support/shared-azurite';

const azurite = sharedAzurite();

// Storage is not among what a bare development instance waits for: it runs its own Azurite (see the README).
describeAppBoot('api-key-manager', {
  waitsFor: 'ADMIN_API_KEY',
  credentials: () => ({ AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, ADMIN_API_KEY: ADMIN_KEY, API_KEY_HASH_PEPPER: PEPPER }),
});
