import { AzuriteServer } from './azurite';
import { SHARED_AZURITE_VARIABLE } from './shared-azurite';

const SHARED = Symbol.for('api-key-manager.e2e.azurite');

type WithAzurite = typeof globalThis & { [SHARED]?: AzuriteServer };

export default async function startSharedAzurite(): Promise<void> {
  const azurite = new AzuriteServer();
  await azurite.start();
  (globalThis as WithAzurite)[SHARED] = azurite;
  process.env[SHARED_AZURITE_VARIABLE] = JSON.stringify(azurite.portsInUse);
}

export async function stopSharedAzurite(): Promise<void> {
  await (globalThis as WithAzurite)[SHARED]?.dispose();
}
