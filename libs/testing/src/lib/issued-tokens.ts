/** Tokens the fake login API issued, shared with the fake platform API that checks them. */
export class IssuedTokens {
  private readonly expiries = new Map<string, number>();
  private readonly revoked = new Set<string>();

  issue(token: string, expiresAt: number): void {
    this.expiries.set(token, expiresAt);
  }

  revoke(token: string): void {
    this.revoked.add(token);
  }

  /** Known, not revoked and not past its expiry. */
  accepts(token: string): boolean {
    const expiresAt = this.expiries.get(token);
    return expiresAt !== undefined && !this.revoked.has(token) && Date.now() < expiresAt;
  }

  all(): string[] {
    return [...this.expiries.keys()];
  }
}
