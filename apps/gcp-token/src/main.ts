import { bootstrap } from '@auth-platform/platform';
import { AppModule } from './app.module';
import { gcpTokenEnv } from './config/env';

void bootstrap(AppModule, {
  env: gcpTokenEnv,
  docs: {
    title: 'gcp-token',
    description: 'Short-lived Google Cloud access tokens for API-key holders.',
    configure: (builder) => builder.addBearerAuth(),
  },
});
