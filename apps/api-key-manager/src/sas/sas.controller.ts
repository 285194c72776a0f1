import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { HttpErrorWithHeaders, annotateRequest } from '@auth-platform/platform';
import { RateLimit } from '@auth-platform/rate-limit';
import { ADMIN_SCHEME, AdminKeyGuard } from '../auth/admin-key.guard';
import { KeysExceptionFilter } from '../keys/keys-exception.filter';
import { StorageExceptionFilter } from '../storage/storage-exception.filter';
import { MANAGED_KEY_SCHEME, ManagedKeyGuard, managedKeyIdOf, managedKeyOf } from './managed-key.guard';
import { SasPolicyDto, SasRequestDto, SasResponseDto } from './sas.dto';
import { SasExceptionFilter } from './sas-exception.filter';
import { SasService } from './sas.service';

@ApiTags('sas')
@Controller('auth/sas')
@UseFilters(StorageExceptionFilter, KeysExceptionFilter, SasExceptionFilter)
export class SasController {
  constructor(private readonly sas: SasService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  // Decorators apply bottom-up: the key guard must be registered (and so run) before the limiter that reads its result.
  @RateLimit('sas', { key: managedKeyIdOf })
  @UseGuards(ManagedKeyGuard)
  @ApiSecurity(MANAGED_KEY_SCHEME)
  @ApiOperation({
    summary: 'Issue a SAS token for an Azure table',
    description: 'With a managed key (X-API-Key) carrying sas:issue. Read-only by default; at most one hour; rate-limited per key; audited.',
  })
  @ApiOkResponse({ type: SasResponseDto })
  @ApiBadRequestResponse({ description: 'A field is invalid; the message names it.' })
  @ApiUnauthorizedResponse({ description: 'Missing, invalid, revoked or expired API key.' })
  @ApiForbiddenResponse({ description: 'Address not allowed, scope missing, table or permission not allowed.' })
  @ApiTooManyRequestsResponse({ description: 'Over RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW_MS for this key (Retry-After).' })
  @ApiServiceUnavailableResponse({ description: 'Storage unavailable, or no account key to sign with.' })
  async issue(@Req() request: FastifyRequest, @Body() body: SasRequestDto): Promise<SasResponseDto> {
    const key = managedKeyOf(request);
    if (!key) throw new HttpErrorWithHeaders(HttpStatus.UNAUTHORIZED, 'Missing X-API-Key header', {});
    const issued = await this.sas.issue({ key, clientIp: request.ip, requestId: String(request.id) }, body);
    annotateRequest(request, { event: 'sas_issued', table: issued.table, permissions: issued.permissions, partition_key: issued.partition_key });
    return issued;
  }

  @Get('policy')
  @UseGuards(AdminKeyGuard)
  @ApiSecurity(ADMIN_SCHEME)
  @ApiOperation({ summary: 'The SAS issuance policy', description: 'Allowed tables and permissions, lifetimes, the rate limit and the scopes each permission needs.' })
  @ApiOkResponse({ type: SasPolicyDto })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid X-Admin-Key.' })
  policy(): SasPolicyDto {
    return this.sas.policy();
  }
}
