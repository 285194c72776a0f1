// The whole suite: the five built apps (dist/apps/<app>/main.js) as processes, on PostgreSQL, Redis, Azurite
// and oidc-provider, with local stand-ins only for Google, OpenAI and the upstream login API.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'suite-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  testTimeout: 30000,
};
