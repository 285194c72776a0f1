module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'gcp-token',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
