module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'llm-proxy',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
