import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { VaultDatabase } from '../database/vault-database.service';
import { IdentityProviderClient } from '../identity-provider/identity-provider.client';
import { AUTH_MANAGER_VERSION } from '../version';

/** The seed's own status routes: `/health` (the service is up; no dependency calls) and `/version`. */
@ApiTags('health')
@Controller()
export class StatusController {
  private databaseVersion?: string;

  constructor(
    private readonly database: VaultDatabase,
    private readonly provider: IdentityProviderClient,
  ) {}

  @Get('health')
  @ApiOkResponse({ description: 'The service is running (liveness; dependencies are on /health/ready).' })
  health() {
    return {
      status: 'ok',
      service: 'auth-manager',
      version: AUTH_MANAGER_VERSION,
      timestamp: new Date().toISOString(),
    };
  }

  @Get('version')
  @ApiOkResponse({ description: 'Versions of the service, its runtime and the database server.' })
  async version() {
    return {
      service: 'auth-manager',
      version: AUTH_MANAGER_VERSION,
      node: process.version,
      database: { mode: this.database.mode, server_version: await this.serverVersion() },
      identity_provider: { issuer: this.provider.issuer ?? null },
    };
  }

  private async serverVersion(): Promise<string | null> {
    const embedded = this.database.embeddedInfo;
    if (embedded) return embedded.serverVersion;
    if (this.databaseVersion || !this.database.connected) return this.databaseVersion ?? null;
    try {
      const rows: { server_version: string }[] = await this.database.run((dataSource) =>
        dataSource.query('SHOW server_version'),
      );
      this.databaseVersion = rows[0]?.server_version;
    } catch {
      return null;
    }
    return this.databaseVersion ?? null;
  }
}
