import { stopSharedAzurite } from './global-setup';

export default stopSharedAzurite;
