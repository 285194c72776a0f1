import { bootstrap } from '@auth-platform/platform';
import { AppModule } from './app.module';
import { ADMIN_SCHEME } from './auth/admin-key.guard';
import { SERVICE_SCHEME } from './auth/service-key.guard';
import { apiKeyManagerEnv } from './config/env';
import { MANAGED_KEY_SCHEME } from './sas/managed-key.guard';

void bootstrap(AppModule, {
  env: apiKeyManagerEnv,
  docs: {
    title: 'api-key-manager',
    description:
      'Issues, verifies, revokes and meters API keys; vends Azure Table SAS tokens. Admins: click Authorize, enter the X-Admin-Key, then use "Try it out" on POST /auth/keys/generate.',
    configure: (builder) =>
      builder
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Admin-Key', description: 'ADMIN_API_KEY: key lifecycle, usage, exports, SAS policy.' }, ADMIN_SCHEME)
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A service key from VERIFY_API_KEYS: verify and batch usage.' }, SERVICE_SCHEME)
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A managed key with the sas:issue scope: SAS tokens.' }, MANAGED_KEY_SCHEME),
  },
});
