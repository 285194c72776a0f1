module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'api-key-manager',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
