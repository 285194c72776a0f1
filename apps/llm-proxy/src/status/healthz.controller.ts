import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RateLimitService } from '@auth-platform/rate-limit';

/**
 * The seed's Cloud Run health check: 200 while the process serves. It also says where limits are decided, since
 * in-memory limits (Redis absent or down) hold per replica only.
 */
@ApiTags('health')
@Controller()
export class HealthzController {
  constructor(private readonly rateLimits: RateLimitService) {}

  @Get('healthz')
  @ApiOkResponse({ description: '{ status: "ok", rate_limit: { store, mode } }' })
  healthz() {
    const { store, mode } = this.rateLimits.status();
    return { status: 'ok', rate_limit: { store, mode } };
  }
}
