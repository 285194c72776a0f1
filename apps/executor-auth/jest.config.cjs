module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'executor-auth',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
