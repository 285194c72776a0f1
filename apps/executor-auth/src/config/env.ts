import { defineEnv, env } from '@auth-platform/config';

export const executorAuthEnv = defineEnv({
  app: 'executor-auth',
  defaultPort: 8005,
  shape: {
    API_AUTH_URL: env.httpUrl().optional(),
    API_AUTH_EMAIL: env.string().optional(),
    API_AUTH_PASSWORD: env.string().optional(),
    API_AUTH_TOKEN: env.string().optional(),
    API_EXECUTOR_BASE_URL: env.httpUrl().optional(),
    API_EXECUTOR_TIMEOUT: env.int({ min: 1, max: 600 }).prefault('30'),
    API_EXECUTOR_MAX_RETRIES: env.int({ min: 0, max: 10 }).prefault('3'),
  },
  secrets: ['API_AUTH_PASSWORD', 'API_AUTH_TOKEN'],
  // A static API_AUTH_TOKEN (the seed's migration mode) stands in for the login credentials.
  credentials: [
    { names: ['API_AUTH_URL', 'API_AUTH_TOKEN'] },
    { names: ['API_AUTH_EMAIL', 'API_AUTH_TOKEN'] },
    { names: ['API_AUTH_PASSWORD', 'API_AUTH_TOKEN'] },
  ],
});
