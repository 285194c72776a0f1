// FakeLoginApi lives in @auth-platform/testing (the suite e2e uses it too); this re-export is for
// src/platform-token/platform-login.client.spec.ts, which imports it from here.
export { FakeLoginApi, type LoginAttempt, type LoginFault } from '@auth-platform/testing';
