import { randomBytes } from 'node:crypto';
import { type AppProcess, startApp } from './app-process';
import { AzuriteServer } from './azurite-server';

export interface ManagedTestKey {
  readonly token_id: string;
  readonly key: string;
  readonly provider_id: string;
  readonly scopes: readonly string[];
}

export interface ManagedKeyUsage {
  readonly total_requests: number;
  readonly by_endpoint: Record<string, number>;
  readonly by_status_code: Record<string, number>;
}

export interface GenerateKeyRequest {
  readonly provider_id?: string;
  readonly name?: string;
  readonly environment?: 'test' | 'live';
  readonly scopes?: readonly string[];
  readonly ip_restrictions?: readonly string[];
  readonly expires_in_days?: number;
}

/**
 * The built api-key-manager on its own in-memory Azurite, with throwaway admin, service and pepper secrets, and
 * the admin calls specs need (generate, revoke, usage). For the apps that accept managed keys.
 */
export class ApiKeyManagerUnderTest {
  readonly adminKey = `admin-${randomBytes(12).toString('hex')}`;
  /** One of the manager's VERIFY_API_KEYS: what an app gets as API_KEY_MANAGER_SERVICE_KEY. */
  readonly serviceKey = `service-${randomBytes(12).toString('hex')}`;
  private readonly pepper = randomBytes(32).toString('hex');
  private readonly azurite = new AzuriteServer();
  private process?: AppProcess;
  /** Every key generated, so specs can check that none of them reached a log. */
  readonly issuedKeys: string[] = [];

  get url(): string {
    if (!this.process) throw new Error('the api-key-manager under test is not running');
    return this.process.url;
  }

  get app(): AppProcess {
    if (!this.process) throw new Error('the api-key-manager under test is not running');
    return this.process;
  }

  /** The env an app needs to take managed keys from this manager. */
  clientEnv(): Record<string, string> {
    return { API_KEY_MANAGER_URL: this.url, API_KEY_MANAGER_SERVICE_KEY: this.serviceKey };
  }

  /** Starts Azurite and the manager (again on the same port after stop(), so clients find it). */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    const port = this.process?.port;
    if (!port) await this.azurite.start();
    this.process = await startApp(
      'api-key-manager',
      {
        AZURE_STORAGE_CONNECTION_STRING: this.azurite.connectionString,
        ADMIN_API_KEY: this.adminKey,
        VERIFY_API_KEYS: this.serviceKey,
        API_KEY_HASH_PEPPER: this.pepper,
        USAGE_EXPORT_ENABLED: 'false',
        USAGE_FLUSH_INTERVAL_MS: '250',
        ...extraEnv,
      },
      { timeoutMs: 30_000, ...(port ? { port } : {}) },
    );
  }

  /** Stops the manager only (Azurite and the keys stay); resolves with its exit code. */
  async stop(): Promise<number | null> {
    return this.app.stop();
  }

  async dispose(): Promise<void> {
    await this.process?.stop();
    await this.azurite.dispose();
  }

  async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'x-admin-key': this.adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const answer = (await response.json()) as T;
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
    return answer;
  }

  async generateKey(request: GenerateKeyRequest = {}): Promise<ManagedTestKey> {
    const generated = await this.admin<ManagedTestKey>('POST', '/auth/keys/generate', {
      provider_id: 'provider-under-test',
      name: 'key under test',
      environment: 'test',
      scopes: [],
      ...request,
    });
    this.issuedKeys.push(generated.key);
    return generated;
  }

  async revoke(tokenId: string, reason = 'revoked by a test'): Promise<void> {
    await this.admin('POST', `/auth/keys/${tokenId}/revoke`, { reason });
  }

  usage(tokenId: string): Promise<ManagedKeyUsage> {
    return this.admin<ManagedKeyUsage>('GET', `/auth/keys/${tokenId}/usage`);
  }
}

/** Polls `check` every 50 ms until it passes; resolves with how long that took, or throws after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
