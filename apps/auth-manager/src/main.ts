import { bootstrap } from '@auth-platform/platform';
import { AppModule } from './app.module';
import { runVaultCommand } from './cli/vault-command';
import { authManagerEnv } from './config/env';
import { AUTH_MANAGER_VERSION } from './version';

const command = process.argv[2];

if (command === undefined) {
  void bootstrap(AppModule, {
    env: authManagerEnv,
    version: AUTH_MANAGER_VERSION,
    docs: {
      title: 'auth-manager',
      description: 'Encrypted OIDC token vault: stores refresh and offline tokens, mints access tokens.',
      ui: 'scalar',
      configure: (builder) =>
        builder
          .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A key from AUTH_MANAGER_API_KEYS' })
          .addApiKey(
            {
              type: 'apiKey',
              in: 'header',
              name: 'X-API-Key',
              description: 'A key from AUTH_MANAGER_API_KEYS',
            },
            'api-key',
          ),
    },
  });
} else {
  void runVaultCommand(command).then((code) => process.exit(code));
}
