import { DevIdp, type TestDatabase, createTestDatabase, describeAppBoot } from '@auth-platform/testing';
import { CLIENT, appEnv } from './support/auth-manager';

let database: TestDatabase;
let idp: DevIdp;

beforeAll(async () => {
  [database, idp] = await Promise.all([createTestDatabase(), DevIdp.start({ clients: [CLIENT] })]);
}, 60_000);

afterAll(async () => {
  await idp?.stop();
  await database?.drop();
});

// Ready needs the database (this run's own) and the provider (the dev IdP) besides the credentials.
describeAppBoot('auth-manager', {
  waitsFor: 'KEYCLOAK_ISSUER (or KEYCLOAK_SERVER_URL)',
  credentials: () => {
    const credentials = appEnv(idp, database);
    delete credentials['NODE_ENV'];
    return credentials;
  },
});
