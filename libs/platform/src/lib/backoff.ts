export interface BackoffPolicy {
  readonly baseMs: number;
  readonly capMs: number;
}

/**
 * Exponential backoff with full jitter before retry number `attempt` (0 for the first): uniform in
 * [0, min(cap, base·2^attempt)), so replicas retrying the same failure spread out instead of retrying together.
 */
export function fullJitterBackoffMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.capMs, policy.baseMs * 2 ** attempt));
}
