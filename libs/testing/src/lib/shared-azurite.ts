import { AzuriteServer, type AzuritePorts } from './azurite-server';

/** Where the Azurite that shared-azurite.global-setup.ts starts for a whole e2e run listens. */
export const SHARED_AZURITE_VARIABLE = 'E2E_SHARED_AZURITE_PORTS';

const SHARED = Symbol.for('auth-platform.e2e.shared-azurite');

type WithAzurite = typeof globalThis & { [SHARED]?: AzuriteServer };

/**
 * The Azurite shared by a project's e2e spec files (each uses its own providers, keys and tables); starting one per
 * file cost a few seconds each. A spec that stops or freezes storage starts its own AzuriteServer instead.
 */
export function sharedAzurite(): AzuriteServer {
  const ports = process.env[SHARED_AZURITE_VARIABLE];
  if (!ports) {
    throw new Error(
      `${SHARED_AZURITE_VARIABLE} is not set: run the specs with a Jest config whose globalSetup is shared-azurite.global-setup.ts`,
    );
  }
  return AzuriteServer.attach(JSON.parse(ports) as AzuritePorts);
}

export async function startSharedAzurite(): Promise<void> {
  const azurite = new AzuriteServer();
  await azurite.start();
  (globalThis as WithAzurite)[SHARED] = azurite;
  process.env[SHARED_AZURITE_VARIABLE] = JSON.stringify(azurite.portsInUse);
}

export async function stopSharedAzurite(): Promise<void> {
  await (globalThis as WithAzurite)[SHARED]?.dispose();
}
