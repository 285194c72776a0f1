import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiKeyHasher } from '@auth-platform/crypto';
import type { ApiKeyManagerEnv } from '../config/env';
import { KeyErrorCode, KeyException } from './keys.exception';

/** The peppered hash of keys; without API_KEY_HASH_PEPPER (a development instance) key operations answer 503. */
@Injectable()
export class KeyHashing {
  private readonly hasher?: ApiKeyHasher;

  constructor(config: ConfigService<ApiKeyManagerEnv, true>) {
    const pepper = config.get('API_KEY_HASH_PEPPER', { infer: true });
    this.hasher = pepper ? new ApiKeyHasher(pepper) : undefined;
  }

  hash(key: string): string {
    if (!this.hasher) throw new KeyException(KeyErrorCode.NOT_CONFIGURED, 'Key hashing is not configured: set API_KEY_HASH_PEPPER');
    return this.hasher.hash(key);
  }
}
