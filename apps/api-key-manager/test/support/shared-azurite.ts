import { AzuriteServer, type AzuritePorts } from './azurite';

/** Where the Azurite that test/support/global-setup.ts starts for the whole e2e run listens. */
export const SHARED_AZURITE_VARIABLE = 'API_KEY_MANAGER_E2E_AZURITE_PORTS';

/**
 * The Azurite shared by the spec files (each uses its own providers, keys and tables); starting one per file cost
 * a few seconds each. A spec that stops or freezes storage starts its own AzuriteServer instead.
 */
export function sharedAzurite(): AzuriteServer {
  const ports = process.env[SHARED_AZURITE_VARIABLE];
  if (!ports) throw new Error(`${SHARED_AZURITE_VARIABLE} is not set: run the specs with jest.e2e.config.cjs (its globalSetup starts Azurite)`);
  return AzuriteServer.attach(JSON.parse(ports) as AzuritePorts);
}
