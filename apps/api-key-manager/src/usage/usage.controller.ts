import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { annotateRequest } from '@auth-platform/platform';
import { ADMIN_SCHEME, AdminKeyGuard } from '../auth/admin-key.guard';
import { SERVICE_SCHEME, ServiceKeyGuard } from '../auth/service-key.guard';
import { TokenIdPipe } from '../keys/token-id.pipe';
import { StorageExceptionFilter } from '../storage/storage-exception.filter';
import { UsageExporter, utcDay } from './usage-export.service';
import {
  BatchUsageRequestDto,
  BatchUsageResponseDto,
  ExportRequestDto,
  ExportResponseDto,
  KeyUsageDto,
} from './usage.dto';
import { UsageExceptionFilter } from './usage-exception.filter';
import { UsageService } from './usage.service';

@ApiTags('usage')
@ApiServiceUnavailableResponse({ description: 'Key storage is unavailable (Retry-After says when to try again).' })
@Controller('auth/keys')
@UseFilters(StorageExceptionFilter, UsageExceptionFilter)
export class UsageController {
  constructor(
    private readonly usage: UsageService,
    private readonly exporter: UsageExporter,
  ) {}

  @Post('batch/usage')
  @HttpCode(HttpStatus.ACCEPTED)
  @UseGuards(ServiceKeyGuard)
  @ApiBearerAuth(SERVICE_SCHEME)
  @ApiOperation({
    summary: 'Report usage in bulk',
    description: 'Gateways report { key_id, endpoint, status_code, count } records. Counted at once, written to storage within USAGE_FLUSH_INTERVAL_MS.',
  })
  @ApiAcceptedResponse({ type: BatchUsageResponseDto })
  @ApiBadRequestResponse({ description: 'A record is malformed; the message names the field and its index.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid service key.' })
  async report(@Req() request: FastifyRequest, @Body() body: BatchUsageRequestDto): Promise<BatchUsageResponseDto> {
    const outcome = await this.usage.recordBatch(body.records);
    annotateRequest(request, { event: 'usage_batch', records: body.records.length, accepted: outcome.accepted, rejected: outcome.rejected.length });
    return { accepted: outcome.accepted, rejected: [...outcome.rejected] };
  }

  @Get(':token_id/usage')
  @UseGuards(AdminKeyGuard)
  @ApiSecurity(ADMIN_SCHEME)
  @ApiOperation({ summary: 'Usage of a key', description: 'Total requests, by endpoint, by status code, last use, and per day.' })
  @ApiOkResponse({ type: KeyUsageDto })
  @ApiNotFoundResponse({ description: 'No key with that id.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid X-Admin-Key.' })
  async usageOf(@Req() request: FastifyRequest, @Param('token_id', TokenIdPipe) tokenId: string): Promise<KeyUsageDto> {
    const usage = await this.usage.usageOf(tokenId);
    annotateRequest(request, { event: 'usage_read', key_id: tokenId });
    return {
      token_id: tokenId,
      total_requests: usage.requests,
      by_endpoint: { ...usage.endpoints },
      by_status_code: { ...usage.statusCodes },
      last_used_at: usage.lastUsedAt ? new Date(usage.lastUsedAt).toISOString() : null,
      daily: usage.days.map((day) => ({ date: day.day, requests: day.requests })),
    };
  }

  @Post('usage/export')
  @HttpCode(HttpStatus.OK)
  @UseGuards(AdminKeyGuard)
  @ApiSecurity(ADMIN_SCHEME)
  @ApiOperation({
    summary: 'Export a day of usage and audit log to Blob Storage',
    description: 'JSON Lines: usage/<date>.jsonl and audit/<date>.jsonl in USAGE_EXPORT_CONTAINER. The same export runs daily for the previous day.',
  })
  @ApiOkResponse({ type: ExportResponseDto })
  @ApiBadRequestResponse({ description: 'date is not a past or present YYYY-MM-DD.' })
  @ApiConflictResponse({ description: 'Both files exist already; pass overwrite: true to replace them.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid X-Admin-Key.' })
  async export(@Req() request: FastifyRequest, @Body() body: ExportRequestDto): Promise<ExportResponseDto> {
    const date = body?.date ?? utcDay(Date.now() - 86_400_000);
    const result = await this.exporter.exportOnDemand(date, body?.overwrite ?? false);
    annotateRequest(request, { event: 'usage_export', date, usage_records: result.usage.records, audit_records: result.audit.records });
    return result;
  }
}
