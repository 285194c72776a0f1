import { bootstrap } from '@auth-platform/platform';
import { AppModule } from './app.module';
import { apiKeyManagerEnv } from './config/env';

void bootstrap(AppModule, {
  env: apiKeyManagerEnv,
  docs: { title: 'api-key-manager', description: 'Issues, verifies, revokes and meters API keys; vends Azure Table SAS tokens.' },
});
