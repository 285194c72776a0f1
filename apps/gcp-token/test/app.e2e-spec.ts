import { FakeGoogle, describeAppBoot } from '@auth-platform/testing';

const google = new FakeGoogle();
beforeAll(() => google.start());
afterAll(() => google.stop());

describeAppBoot('gcp-token', {
  waitsFor: 'API_KEY',
  credentials: () => ({ API_KEY: 'e2e-api-key', SERVICE_ACCOUNT_JSON: google.serviceAccountJson() }),
});
