// The Jest globalTeardown that goes with shared-azurite.global-setup.ts.
import { stopSharedAzurite } from './shared-azurite';

export default stopSharedAzurite;
