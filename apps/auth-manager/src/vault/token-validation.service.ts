import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '@auth-platform/platform';
import {
  IdentityProviderClient,
  type IntrospectionVerdict,
} from '../identity-provider/identity-provider.client';
import { type CachedVerdict, IntrospectionCache } from './introspection.cache';

/** An active verdict is reused no longer than this, nor past the token's own expiry. */
export const ACTIVE_VERDICT_TTL_MS = 60_000;
/** An inactive verdict is reused briefly: a token does not come back to life, but a wrong answer should not stick. */
export const INACTIVE_VERDICT_TTL_MS = 5_000;

export function verdictTtlMs(verdict: IntrospectionVerdict, now: number): number {
  if (!verdict.active) return INACTIVE_VERDICT_TTL_MS;
  const untilExpiry = typeof verdict.exp === 'number' ? verdict.exp * 1000 - now : ACTIVE_VERDICT_TTL_MS;
  return Math.max(0, Math.min(ACTIVE_VERDICT_TTL_MS, untilExpiry));
}

/** `POST /tokens/validate`: the provider's introspection verdict on an access token, briefly cached. */
@Injectable()
export class TokenValidationService {
  private readonly cache = new IntrospectionCache<IntrospectionVerdict>(verdictTtlMs);
  private readonly validations: Counter<'active' | 'cache'>;

  constructor(
    private readonly provider: IdentityProviderClient,
    metrics: MetricsService,
  ) {
    this.validations = new Counter({
      name: 'auth_manager_validations_total',
      help: 'Access token validations, by verdict and cache use',
      labelNames: ['active', 'cache'],
      registers: [metrics.registry],
    });
  }

  async validate(token: string): Promise<CachedVerdict<IntrospectionVerdict>> {
    const result = await this.cache.get(token, () => this.provider.introspect(token, 'access_token'));
    this.validations.inc({ active: String(result.verdict.active), cache: result.cacheHit ? 'hit' : 'miss' });
    return result;
  }
}
