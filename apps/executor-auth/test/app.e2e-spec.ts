import { describeAppBoot } from '@auth-platform/testing';

describeAppBoot('executor-auth', {
  waitsFor: 'API_AUTH_URL (or API_AUTH_TOKEN)',
  credentials: {
    API_AUTH_URL: 'http://127.0.0.1:1/login',
    API_AUTH_EMAIL: 'service-user@example.test',
    API_AUTH_PASSWORD: 'password',
  },
});
