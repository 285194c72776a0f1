module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'api-keys-client',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
