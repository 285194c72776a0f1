import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { LlmProxyEnv } from '../config/env';

/** The products this proxy serves and each one's upstream API key (API_KEY_SERVER_PRODUCT_KEYS). */
@Injectable()
export class ProductKeyring {
  private readonly keys: ReadonlyMap<string, string>;

  constructor(config: ConfigService<LlmProxyEnv, true>) {
    this.keys = new Map(Object.entries(config.get('API_KEY_SERVER_PRODUCT_KEYS', { infer: true }) ?? {}));
  }

  has(product: string): boolean {
    return this.keys.has(product);
  }

  upstreamKeyFor(product: string): string | undefined {
    return this.keys.get(product);
  }

  /** Every upstream key, for scrubbing upstream error messages that echo one. */
  upstreamKeys(): readonly string[] {
    return [...this.keys.values()];
  }
}
