import { Injectable } from '@nestjs/common';

/** Flipped once on SIGTERM so readiness fails at once while in-flight requests drain. */
@Injectable()
export class ShutdownState {
  private since: number | null = null;

  get shuttingDown(): boolean {
    return this.since !== null;
  }

  begin(): void {
    this.since ??= Date.now();
  }
}
