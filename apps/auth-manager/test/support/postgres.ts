// The per-run test database lives in @auth-platform/testing (the suite e2e uses it too); this re-export is for
// src/vault/token-vault.store.spec.ts, which imports it from here.
export { POSTGRES, createTestDatabase, type TestDatabase } from '@auth-platform/testing';
