// E2E specs start the built app (dist/apps/auth-manager/main.js) as a process, as production does.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'auth-manager-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  testTimeout: 30000,
};
