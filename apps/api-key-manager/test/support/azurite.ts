export {
  AZURITE_ACCOUNT_KEY,
  AzuriteServer,
  type AzuriteOptions,
  type AzuritePorts,
} from '@auth-platform/testing';
