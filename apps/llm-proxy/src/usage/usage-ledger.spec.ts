import { UsageLedger, rowsFromHash, toRows, usageDay, usageField } from './usage-ledger';

describe('UsageLedger', () => {
  it('adds up requests and tokens per product, user and day', () => {
    const ledger = new UsageLedger();
    ledger.add('2025-01-31', 'product-a', 'alice', { requests: 1, promptTokens: 10, completionTokens: 5 });
    ledger.add('2025-01-31', 'product-a', 'alice', { requests: 1, promptTokens: 1, completionTokens: 2 });
    ledger.add('2025-01-31', 'product-b', 'alice', { requests: 1, promptTokens: 0, completionTokens: 0 });
    ledger.add('2025-02-01', 'product-a', 'alice', { requests: 1, promptTokens: 3, completionTokens: 3 });
    expect(toRows(ledger.day('2025-01-31'))).toEqual([
      { product: 'product-a', user: 'alice', requests: 2, promptTokens: 11, completionTokens: 7 },
      { product: 'product-b', user: 'alice', requests: 1, promptTokens: 0, completionTokens: 0 },
    ]);
  });

  it('keeps ids with separators and odd characters apart', () => {
    const ledger = new UsageLedger();
    ledger.add('2025-01-31', 'a|b', 'c', { requests: 1, promptTokens: 0, completionTokens: 0 });
    ledger.add('2025-01-31', 'a', 'b|c', { requests: 2, promptTokens: 0, completionTokens: 0 });
    expect(toRows(ledger.day('2025-01-31')).map((r) => [r.product, r.user, r.requests])).toEqual([
      ['a', 'b|c', 2],
      ['a|b', 'c', 1],
    ]);
  });

  it('drains for a flush and takes back what could not be written', () => {
    const ledger = new UsageLedger();
    ledger.add('2025-01-31', 'p', 'u', { requests: 1, promptTokens: 1, completionTokens: 1 });
    const drained = ledger.drain();
    expect(ledger.empty).toBe(true);
    ledger.add('2025-01-31', 'p', 'u', { requests: 1, promptTokens: 2, completionTokens: 2 });
    ledger.restore(drained);
    expect(toRows(ledger.day('2025-01-31'))).toEqual([
      { product: 'p', user: 'u', requests: 2, promptTokens: 3, completionTokens: 3 },
    ]);
  });

  it('forgets days past the retention', () => {
    const ledger = new UsageLedger();
    for (const day of ['2025-01-01', '2025-01-30', '2025-01-31'])
      ledger.add(day, 'p', 'u', { requests: 1, promptTokens: 0, completionTokens: 0 });
    ledger.prune('2025-01-31', 2);
    expect(toRows(ledger.day('2025-01-01'))).toEqual([]);
    expect(toRows(ledger.day('2025-01-30'))).toHaveLength(1);
  });

  it('reads the Redis hash layout back, ignoring fields it does not know', () => {
    const field = usageField('product-a', 'alice@example.com');
    const rows = rowsFromHash({
      [`${field}|r`]: '3',
      [`${field}|p`]: '30',
      [`${field}|c`]: '12',
      junk: '1',
      [`${field}|x`]: '9',
    });
    expect(toRows(rows)).toEqual([
      {
        product: 'product-a',
        user: 'alice@example.com',
        requests: 3,
        promptTokens: 30,
        completionTokens: 12,
      },
    ]);
  });

  it('turns over at UTC midnight', () => {
    expect(usageDay(Date.parse('2025-01-31T23:59:59.999Z'))).toBe('2025-01-31');
    expect(usageDay(Date.parse('2025-02-01T00:00:00Z'))).toBe('2025-02-01');
  });
});
