// E2E specs start the built app (dist/apps/executor-auth/main.js) as a process, as production does.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'executor-auth-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  testTimeout: 30000,
};
