import { bootstrap } from '@auth-platform/platform';
import { AppModule } from './app.module';
import { executorAuthEnv } from './config/env';

void bootstrap(AppModule, {
  env: executorAuthEnv,
  docs: { title: 'executor-auth', description: 'Logs in to an upstream platform, keeps its bearer token fresh, and executes API calls with it.' },
});
