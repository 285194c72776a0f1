import { describeAppBoot } from '@auth-platform/testing';

describeAppBoot('llm-proxy', {
  waitsFor: 'API_KEY_SERVER_PRODUCT_KEYS',
  credentials: {
    API_KEY_SERVER_PRODUCT_KEYS: '{"product-a":"upstream-key"}',
    API_KEY_SERVER_CLIENT_HMAC_SECRETS: '{"desktop":"hmac-secret"}',
  },
});
