// FakeGoogle lives in @auth-platform/testing (the suite e2e uses it too); this re-export keeps specs that still
// import it from here working. New code imports it from the lib.
export {
  FakeGoogle,
  type FakeGoogleMode as FakeMode,
  type GoogleTokenGrant as TokenGrant,
} from '@auth-platform/testing';
