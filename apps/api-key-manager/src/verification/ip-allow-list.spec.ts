import { IpAllowList, checkIpRestriction } from './ip-allow-list';

describe('checkIpRestriction', () => {
  it.each(['192.168.1.1', '10.0.0.0/8', '0.0.0.0/0', '2001:db8::1', '2001:db8::/32', '::/0', ' 10.1.2.3 '])('accepts %j', (entry) => {
    expect(checkIpRestriction(entry).ok).toBe(true);
  });

  it.each([
    ['192.168.1.256', 'is not an IPv4 or IPv6 address or CIDR range'],
    ['example.com', 'is not an IPv4 or IPv6 address or CIDR range'],
    ['10.0.0.0/8/8', 'is not an IPv4 or IPv6 address or CIDR range'],
    ['10.0.0.0/33', 'has a prefix length outside 0-32'],
    ['10.0.0.0/', 'has a prefix length outside 0-32'],
    ['2001:db8::/129', 'has a prefix length outside 0-128'],
    ['10.0.0.0/-1', 'has a prefix length outside 0-32'],
  ])('refuses %j because it %s', (entry, reason) => {
    expect(checkIpRestriction(entry)).toEqual({ ok: false, reason });
  });
});

describe('IpAllowList', () => {
  it('allows every client when the key has no restrictions', () => {
    expect(new IpAllowList([]).allows(undefined)).toBe(true);
  });

  it('matches single IPv4 addresses and IPv4 ranges', () => {
    const rules = new IpAllowList(['203.0.113.7', '10.0.0.0/8']);
    expect(rules.allows('203.0.113.7')).toBe(true);
    expect(rules.allows('203.0.113.8')).toBe(false);
    expect(rules.allows('10.255.1.2')).toBe(true);
    expect(rules.allows('11.0.0.1')).toBe(false);
  });

  it('matches IPv6 addresses and ranges in any notation', () => {
    const rules = new IpAllowList(['2001:db8::/32', '2001:0db8:ffff::1']);
    expect(rules.allows('2001:db8:1234::5')).toBe(true);
    expect(rules.allows('2001:DB8:FFFF:0:0:0:0:1')).toBe(true);
    expect(rules.allows('2001:db9::1')).toBe(false);
  });

  it('matches IPv4-mapped IPv6 clients against IPv4 rules', () => {
    expect(new IpAllowList(['10.0.0.0/8']).allows('::ffff:10.1.2.3')).toBe(true);
  });

  it('refuses a missing or malformed client address when restrictions exist', () => {
    const rules = new IpAllowList(['10.0.0.0/8']);
    expect(rules.allows(undefined)).toBe(false);
    expect(rules.allows('10.0.0.300')).toBe(false);
  });
});
