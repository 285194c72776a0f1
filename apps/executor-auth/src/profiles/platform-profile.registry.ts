import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ExecutorAuthEnv } from '../config/env';
import { type PlatformProfile, type PlatformProfiles, resolvePlatformProfiles } from './platform-profile';

/** The configured upstream platforms, by name. */
@Injectable()
export class PlatformProfileRegistry {
  private readonly resolved: PlatformProfiles;

  constructor(config: ConfigService<ExecutorAuthEnv, true>) {
    this.resolved = resolvePlatformProfiles({
      API_AUTH_URL: config.get('API_AUTH_URL', { infer: true }),
      API_AUTH_EMAIL: config.get('API_AUTH_EMAIL', { infer: true }),
      API_AUTH_PASSWORD: config.get('API_AUTH_PASSWORD', { infer: true }),
      API_AUTH_TOKEN: config.get('API_AUTH_TOKEN', { infer: true }),
      API_EXECUTOR_BASE_URL: config.get('API_EXECUTOR_BASE_URL', { infer: true }),
      API_EXECUTOR_ALLOWED_PATHS: config.get('API_EXECUTOR_ALLOWED_PATHS', { infer: true }),
      EXECUTOR_PROFILES: config.get('EXECUTOR_PROFILES', { infer: true }),
    });
  }

  all(): PlatformProfile[] {
    return [...this.resolved.profiles.values()];
  }

  find(name: string): PlatformProfile | undefined {
    return this.resolved.profiles.get(name);
  }

  names(): string[] {
    return [...this.resolved.profiles.keys()];
  }

  /** Variables the default profile still lacks (development, when it is only partly configured). */
  get defaultMissing(): readonly string[] {
    return this.resolved.defaultMissing;
  }
}
