// E2E specs start the built app (dist/apps/llm-proxy/main.js) as a process, as production does.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'llm-proxy-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  testTimeout: 30000,
};
