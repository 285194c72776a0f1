import { describeAppBoot } from '@auth-platform/testing';

describeAppBoot('gcp-token', {
  waitsFor: 'API_KEY',
  credentials: { API_KEY: 'e2e-api-key', SERVICE_ACCOUNT_JSON: '/nonexistent/service-account.json' },
});
