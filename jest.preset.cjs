// Shared Jest preset. SWC compiles TypeScript (with decorator metadata for Nest DI) to CommonJS.
// NestJS 12, jose 6, openid-client 6 and several of their dependencies ship ESM only, and Jest's
// module runtime cannot require() ESM on Node 20, so node_modules is transformed too.
const { pathsToModuleNameMapper } = require('./tools/jest/paths.cjs');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[cm]?[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  transformIgnorePatterns: [],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(),
  testMatch: ['**/?(*.)+(spec|e2e-spec).ts'],
  setupFiles: ['reflect-metadata'],
  clearMocks: true,
};
