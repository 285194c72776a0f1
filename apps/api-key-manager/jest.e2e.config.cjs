// E2E specs start the built app (dist/apps/api-key-manager/main.js) as a process, as production does.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'api-key-manager-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  testTimeout: 30000,
  // One Azurite for the spec files that do not stop it (sharedAzurite() from @auth-platform/testing).
  globalSetup: '<rootDir>/../../libs/testing/src/lib/shared-azurite.global-setup.ts',
  globalTeardown: '<rootDir>/../../libs/testing/src/lib/shared-azurite.global-teardown.ts',
};
