import { bootstrap } from '@auth-platform/platform';
import { AppModule } from './app.module';
import { authManagerEnv } from './config/env';

void bootstrap(AppModule, {
  env: authManagerEnv,
  docs: { title: 'auth-manager', description: 'Encrypted OIDC token vault: stores refresh and offline tokens, mints access tokens.' },
});
