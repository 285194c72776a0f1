export { SHARED_AZURITE_VARIABLE, sharedAzurite } from '@auth-platform/testing';
