// Each built app installed and started as its Dockerfile's runtime stage does it (dist/apps/<app> must be built).
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'deploy-check-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  testTimeout: 150000,
};
