// The static checks: kustomize output, docker-compose.yml, Dockerfiles and .dockerignore, and each rule broken on purpose.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'deploy-check',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testTimeout: 30000,
};
