module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'auth-manager',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
