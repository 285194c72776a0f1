import { Controller, Get, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { GcpTokenEnv } from '../config/env';
import { TokenService } from '../token/token.service';

const NOT_CONFIGURED = 'Service account credentials not configured properly';

/** The seed's status routes: `/` (basic), `/health` (detailed, with request statistics) and `/info`. */
@ApiTags('health')
@Controller()
export class StatusController {
  constructor(
    private readonly tokens: TokenService,
    private readonly config: ConfigService<GcpTokenEnv, true>,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'Basic status check for load balancers.' })
  basic() {
    return { status: 'ok', service: 'gcp-token', timestamp: new Date().toISOString() };
  }

  @Get('health')
  @ApiOkResponse({ description: 'healthy or degraded, with statistics and issues.' })
  @ApiServiceUnavailableResponse({ description: 'unhealthy: no credentials, or the success rate fell below the policy.' })
  health(@Res({ passthrough: true }) reply: FastifyReply) {
    const email = this.tokens.serviceAccountEmail;
    const stats = this.tokens.stats.snapshot();
    const assessment = this.tokens.stats.assess();
    const status = email ? assessment.status : 'unhealthy';
    const issues = email ? [...assessment.issues] : [NOT_CONFIGURED];
    if (status === 'unhealthy') reply.status(503);
    return {
      status,
      service_account_email: email ?? null,
      timestamp: new Date().toISOString().replace('Z', '000').slice(0, 26),
      uptime_seconds: stats.uptime_seconds,
      stats: {
        total_requests: stats.total_requests,
        successful_requests: stats.successful_requests,
        consecutive_failures: stats.consecutive_failures,
        last_successful_token: stats.last_success_at?.replace('Z', '000').slice(0, 26) ?? null,
        success_rate: stats.success_rate,
      },
      issues,
    };
  }

  @Get('info')
  @ApiOkResponse({ description: 'Service information and a usage guide.' })
  info() {
    return {
      service: 'gcp-token',
      description: 'Short-lived Google Cloud access tokens for API-key holders.',
      service_account_email: this.tokens.serviceAccountEmail ?? null,
      allowed_scopes: this.config.get('ALLOWED_SCOPES', { infer: true }),
      impersonation_enabled: this.config.get('ALLOWED_TARGET_SERVICE_ACCOUNTS', { infer: true }).length > 0,
      rate_limit_per_minute: this.config.get('TOKEN_RATE_LIMIT_PER_MINUTE', { infer: true }),
      endpoints: {
        'POST /token': 'an access token; Authorization: Bearer <api key>; optional JSON body { scopes, target_service_account, lifetime }',
        'GET /': 'basic status',
        'GET /health': 'detailed health with request statistics',
        'GET /readiness': 'readiness probe (also /health/ready)',
        'GET /liveness': 'liveness probe (also /health/live)',
        'GET /metrics': 'Prometheus metrics',
        'GET /docs': 'API documentation (when enabled)',
      },
      usage: {
        get_token: "curl -X POST https://<host>/token -H 'Authorization: Bearer <api key>'",
        use_token: "curl https://documentai.googleapis.com/v1/... -H 'Authorization: Bearer <access_token>'",
      },
    };
  }
}
