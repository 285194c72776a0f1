import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigService } from '@nestjs/config';
import { AppConfigModule, EnvValidationError, resolveEnv } from '@auth-platform/config';
import { CryptoModule } from '@auth-platform/crypto';
import { cryptoOptions } from '../app.module';
import { authManagerEnv } from '../config/env';
import { DatabaseModule } from '../database/database.module';
import { VaultDatabase } from '../database/vault-database.service';
import { pendingVaultMigrations } from '../database/vault-data-source';
import { TokenCipher } from '../vault/token-cipher';
import { TokenVaultStore, TypeormTokenVaultStore } from '../vault/token-vault.store';
import { rewrapVault } from '../vault/vault-rewrap';

export const VAULT_COMMANDS = ['migrate', 'rewrap'] as const;
export type VaultCommand = (typeof VAULT_COMMANDS)[number];

@Module({
  imports: [
    AppConfigModule.forRoot(authManagerEnv),
    CryptoModule.forRootAsync({ global: true, inject: [ConfigService], useFactory: cryptoOptions }),
    DatabaseModule.forCommand(),
  ],
  providers: [TokenCipher, { provide: TokenVaultStore, useClass: TypeormTokenVaultStore }],
})
class VaultCommandModule {}

function report(stream: NodeJS.WriteStream, fields: Record<string, unknown>): void {
  stream.write(`${JSON.stringify({ app: 'auth-manager', ...fields })}\n`);
}

/**
 * `main.js migrate` applies pending migrations; `main.js rewrap` re-encrypts every stored token under the current
 * vault key. Both print one JSON line with the outcome and exit 0, or 1 with the reason on stderr.
 */
export async function runVaultCommand(command: string): Promise<number> {
  if (!(VAULT_COMMANDS as readonly string[]).includes(command)) {
    report(process.stderr, {
      event: 'unknown_command',
      message: `unknown command "${command}"; use migrate or rewrap`,
    });
    return 2;
  }
  try {
    resolveEnv(authManagerEnv);
  } catch (error) {
    if (!(error instanceof EnvValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const context = await NestFactory.createApplicationContext(VaultCommandModule, { logger: false });
  const database = context.get(VaultDatabase);
  try {
    if (command === 'migrate') {
      const { applied } = await database.connect({ migrate: true });
      report(process.stdout, { event: 'migrations_applied', applied, database: database.mode });
      return 0;
    }
    const { dataSource } = await database.connect({ migrate: false });
    const pending = await pendingVaultMigrations(dataSource);
    if (pending.length > 0) {
      report(process.stderr, {
        event: 'rewrap_refused',
        message: 'the schema is not up to date; run the migrate command first',
        pending,
      });
      return 1;
    }
    const outcome = await rewrapVault(context.get(TokenVaultStore), context.get(TokenCipher));
    report(outcome.failed.length > 0 ? process.stderr : process.stdout, {
      event: 'rewrap_complete',
      ...outcome,
    });
    return outcome.failed.length > 0 ? 1 : 0;
  } catch (error) {
    report(process.stderr, {
      event: `${command}_failed`,
      message: error instanceof Error ? error.message : String(error),
    });
    return 1;
  } finally {
    await database.close();
    await context.close();
  }
}
