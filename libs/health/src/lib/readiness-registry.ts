import { Injectable } from '@nestjs/common';

/** Extra facts a check reports (latency, mode, ...). It throws, with a message for the operator, when down. */
export type DependencyCheck = (signal: AbortSignal) => Promise<Record<string, unknown> | void>;

export interface RegisteredCheck {
  readonly name: string;
  readonly check: DependencyCheck;
  readonly timeoutMs: number;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2000;

/** Where feature modules register the dependencies the app cannot serve without. */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, RegisteredCheck>();

  register(name: string, check: DependencyCheck, options: { timeoutMs?: number } = {}): void {
    if (this.checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    this.checks.set(name, { name, check, timeoutMs: options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS });
  }

  list(): readonly RegisteredCheck[] {
    return [...this.checks.values()];
  }
}
