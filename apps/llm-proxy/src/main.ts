import { bootstrap } from '@auth-platform/platform';
import { AppModule } from './app.module';
import { llmProxyEnv } from './config/env';

void bootstrap(AppModule, {
  env: llmProxyEnv,
  docs: { title: 'llm-proxy', description: 'Authenticated, rate-limited, OpenAI-compatible LLM proxy.' },
});
