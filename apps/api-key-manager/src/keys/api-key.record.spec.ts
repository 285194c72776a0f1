import { type ApiKeyRecord, effectiveExpiry, keyStatus } from './api-key.record';

const base: ApiKeyRecord = {
  id: 'k',
  providerId: 'p',
  name: 'n',
  environment: 'test',
  scopes: [],
  ipRestrictions: [],
  displayPrefix: 'permas_test_abcd…',
  hash: 'h',
  createdAt: 0,
};

describe('key status', () => {
  it('is active without expiry, and expired from its expiry on', () => {
    expect(keyStatus(base, 1e12)).toBe('active');
    expect(keyStatus({ ...base, expiresAt: 100 }, 99)).toBe('active');
    expect(keyStatus({ ...base, expiresAt: 100 }, 100)).toBe('expired');
  });

  it('is rotating during the grace period and expired after it', () => {
    const rotated = { ...base, rotatedTo: 'k2', graceUntil: 50, expiresAt: 100 };
    expect(effectiveExpiry(rotated)).toBe(50);
    expect(keyStatus(rotated, 49)).toBe('rotating');
    expect(keyStatus(rotated, 50)).toBe('expired');
  });

  it('never extends a key past its own expiry with a grace period', () => {
    expect(effectiveExpiry({ ...base, expiresAt: 30, graceUntil: 50 })).toBe(30);
    expect(effectiveExpiry({ ...base, graceUntil: 50 })).toBe(50);
  });

  it('is revoked whatever else is true', () => {
    expect(keyStatus({ ...base, revokedAt: 1, expiresAt: 0 }, 10)).toBe('revoked');
  });
});
