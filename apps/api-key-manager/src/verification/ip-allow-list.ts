import { BlockList, isIP } from 'node:net';

export type IpRestrictionCheck = { readonly ok: true; readonly normalized: string } | { readonly ok: false; readonly reason: string };

/**
 * Checks one `ip_restrictions` entry: an IPv4 or IPv6 address, or a CIDR range (`10.0.0.0/8`, `2001:db8::/32`).
 * What is stored is the entry as given, trimmed, with the prefix length written without leading zeros.
 */
export function checkIpRestriction(entry: string): IpRestrictionCheck {
  const value = entry.trim();
  const [address, prefix, extra] = value.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return { ok: false, reason: 'is not an IPv4 or IPv6 address or CIDR range' };
  if (prefix === undefined) return { ok: true, normalized: value };
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) {
    return { ok: false, reason: `has a prefix length outside 0-${bits}` };
  }
  return { ok: true, normalized: `${address}/${Number(prefix)}` };
}

/**
 * A key's allowed client addresses, compiled once into a node:net BlockList (used here as an allow list).
 * IPv4 rules also match IPv4-mapped IPv6 clients (`::ffff:10.1.2.3`), as BlockList does.
 */
export class IpAllowList {
  private readonly rules = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const checked = checkIpRestriction(entry);
      if (!checked.ok) continue;
      const [address, prefix] = checked.normalized.split('/') as [string, string | undefined];
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.rules.addAddress(address, type);
      else this.rules.addSubnet(address, Number(prefix), type);
    }
  }

  /** Whether a client may use the key: always when there are no restrictions; never for a missing or invalid address. */
  allows(clientIp: string | undefined): boolean {
    if (this.empty) return true;
    if (!clientIp) return false;
    const family = isIP(clientIp);
    if (family === 0) return false;
    return this.rules.check(clientIp, family === 6 ? 'ipv6' : 'ipv4');
  }
}
