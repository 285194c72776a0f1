// A Jest globalSetup (`globalSetup: '<rootDir>/../../libs/testing/src/lib/shared-azurite.global-setup.ts'`): one
// Azurite for the whole e2e run, found by the specs through sharedAzurite().
import { startSharedAzurite } from './shared-azurite';

export default startSharedAzurite;
