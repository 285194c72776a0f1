// The client against the real api-key-manager: the built app (dist/apps/api-key-manager/main.js) as a process, on
// an Azurite the spec starts.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'api-keys-client-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  testTimeout: 30000,
};
