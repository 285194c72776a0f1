import { MAX_RECORD_COUNT, UsageBuffer } from './usage-buffer';

const KEY = '0b6f0e2a-7c1d-4e8f-9a3b-5c6d7e8f9a0b';
const OTHER = '1c7a1f3b-8d2e-4f90-8b4c-6d7e8f9a0b1c';

describe('UsageBuffer', () => {
  it('aggregates uses of the same key, endpoint and status into one record', () => {
    const buffer = new UsageBuffer(10);
    buffer.add(KEY, 'POST /token', 200, 1);
    buffer.add(KEY, 'POST /token', 200, 2);
    buffer.add(KEY, 'POST /token', 429, 1);
    buffer.add(OTHER, 'POST /token', 200, 1);
    expect([buffer.pendingRecords, buffer.pendingRequests]).toEqual([3, 5]);
    expect(buffer.take(10)).toEqual([
      { keyId: KEY, endpoint: 'POST /token', statusCode: 200, count: 3 },
      { keyId: KEY, endpoint: 'POST /token', statusCode: 429, count: 1 },
      { keyId: OTHER, endpoint: 'POST /token', statusCode: 200, count: 1 },
    ]);
    expect([buffer.pendingRecords, buffer.pendingRequests]).toEqual([0, 0]);
  });

  it('takes at most the batch size, oldest records first', () => {
    const buffer = new UsageBuffer(10);
    for (let status = 200; status < 205; status++) buffer.add(KEY, 'GET /', status, 1);
    expect(buffer.take(2).map((record) => record.statusCode)).toEqual([200, 201]);
    expect(buffer.take(2).map((record) => record.statusCode)).toEqual([202, 203]);
    expect(buffer.pendingRecords).toBe(1);
  });

  it('sends at most the manager limit per record and keeps the rest for the next batch', () => {
    const buffer = new UsageBuffer(10);
    buffer.add(KEY, 'GET /', 200, MAX_RECORD_COUNT + 5);
    expect(buffer.take(10)).toEqual([
      { keyId: KEY, endpoint: 'GET /', statusCode: 200, count: MAX_RECORD_COUNT },
    ]);
    expect(buffer.take(10)).toEqual([{ keyId: KEY, endpoint: 'GET /', statusCode: 200, count: 5 }]);
  });

  it('merges a batch put back after a failed report with what was counted meanwhile', () => {
    const buffer = new UsageBuffer(10);
    buffer.add(KEY, 'GET /', 200, 4);
    const batch = buffer.take(10);
    buffer.add(KEY, 'GET /', 200, 1);
    expect(buffer.restore(batch)).toBe(0);
    expect(buffer.take(10)).toEqual([{ keyId: KEY, endpoint: 'GET /', statusCode: 200, count: 5 }]);
  });

  it('refuses new records when full, still counts existing ones, and reports what a restore could not keep', () => {
    const buffer = new UsageBuffer(2);
    expect(buffer.add(KEY, 'a', 200, 1)).toBe(true);
    expect(buffer.add(KEY, 'b', 200, 1)).toBe(true);
    expect(buffer.add(KEY, 'c', 200, 1)).toBe(false);
    expect(buffer.add(KEY, 'a', 200, 1)).toBe(true);
    expect(buffer.pendingRequests).toBe(3);
    const batch = buffer.take(1);
    buffer.add(KEY, 'd', 200, 1);
    expect(buffer.restore(batch)).toBe(2);
    expect(buffer.pendingRequests).toBe(2);
  });
});
