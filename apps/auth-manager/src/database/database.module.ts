import { type DynamicModule, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry } from '@auth-platform/health';
import { VaultDatabase } from './vault-database.service';

/** In the server, readiness waits for the database and the connection is made in the background. */
@Injectable()
class DatabaseReadiness implements OnModuleInit {
  constructor(
    private readonly database: VaultDatabase,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register('database', () => this.database.check(), { timeoutMs: 3000 });
    this.database.connectInBackground();
  }
}

@Module({})
export class DatabaseModule {
  /** The HTTP server: background connection with retries, and a readiness check. */
  static forServer(): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [VaultDatabase, DatabaseReadiness],
      exports: [VaultDatabase],
    };
  }

  /** The migrate and rewrap commands connect once themselves. */
  static forCommand(): DynamicModule {
    return { module: DatabaseModule, global: true, providers: [VaultDatabase], exports: [VaultDatabase] };
  }
}
