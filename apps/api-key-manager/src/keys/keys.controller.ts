import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
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
import { ADMIN_SCHEME, AdminKeyGuard, adminActorOf } from '../auth/admin-key.guard';
import { StorageExceptionFilter } from '../storage/storage-exception.filter';
import {
  ApiKeyDto,
  DEFAULT_GRACE_PERIOD_SECONDS,
  GenerateKeyRequestDto,
  GeneratedKeyDto,
  KeyPageDto,
  ListKeysQueryDto,
  RevokeKeyRequestDto,
  RotateKeyRequestDto,
  RotatedKeyDto,
  toApiKeyDto,
} from './keys.dto';
import { KeysExceptionFilter } from './keys-exception.filter';
import { KeysService } from './keys.service';
import { TokenIdPipe } from './token-id.pipe';

const DEFAULT_PAGE_SIZE = 50;

@ApiTags('keys')
@ApiSecurity(ADMIN_SCHEME)
@ApiUnauthorizedResponse({ description: 'Missing or invalid X-Admin-Key.' })
@ApiServiceUnavailableResponse({ description: 'Key storage is unavailable (Retry-After says when to try again), or the service is not configured.' })
@Controller('auth/keys')
@UseGuards(AdminKeyGuard)
@UseFilters(StorageExceptionFilter, KeysExceptionFilter)
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post('generate')
  @ApiOperation({ summary: 'Generate a key', description: 'Returns the key metadata and the key itself. The key is shown this once; only its hash is stored.' })
  @ApiCreatedResponse({ type: GeneratedKeyDto })
  @ApiBadRequestResponse({ description: 'A field is missing or invalid; the message names it.' })
  async generate(@Req() request: FastifyRequest, @Body() body: GenerateKeyRequestDto): Promise<GeneratedKeyDto> {
    const issued = await this.keys.generate(
      {
        providerId: body.provider_id,
        name: body.name,
        environment: body.environment,
        scopes: body.scopes,
        expiresInDays: body.expires_in_days,
        description: body.description,
        ipRestrictions: body.ip_restrictions,
      },
      { id: adminActorOf(request) },
    );
    annotateRequest(request, { event: 'key_generated', key_id: issued.record.id, provider_id: issued.record.providerId, environment: issued.record.environment });
    return { ...toApiKeyDto(issued.record), key: issued.key };
  }

  @Get()
  @ApiOperation({ summary: "List a provider's keys", description: 'Newest first; metadata and display prefix only. Follow continuation_token for more.' })
  @ApiOkResponse({ type: KeyPageDto })
  @ApiBadRequestResponse({ description: 'provider_id missing or invalid, limit out of range, or a continuation_token not issued for this provider.' })
  async list(@Req() request: FastifyRequest, @Query() query: ListKeysQueryDto): Promise<KeyPageDto> {
    const page = await this.keys.list(query.provider_id, query.limit ?? DEFAULT_PAGE_SIZE, query.continuation_token);
    annotateRequest(request, { event: 'keys_listed', provider_id: query.provider_id, count: page.records.length });
    const now = Date.now();
    return { keys: page.records.map((record) => toApiKeyDto(record, now)), continuation_token: page.continuationToken ?? null };
  }

  @Get(':token_id')
  @ApiOperation({ summary: 'Show one key' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiNotFoundResponse({ description: 'No key with that id.' })
  async show(@Param('token_id', TokenIdPipe) tokenId: string): Promise<ApiKeyDto> {
    return toApiKeyDto(await this.keys.get(tokenId));
  }

  @Post(':token_id/revoke')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Revoke a key', description: 'Records who, when and why. Every replica refuses the key within 5 seconds.' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiNotFoundResponse({ description: 'No key with that id.' })
  @ApiConflictResponse({ description: 'The key is already revoked.' })
  async revoke(@Req() request: FastifyRequest, @Param('token_id', TokenIdPipe) tokenId: string, @Body() body: RevokeKeyRequestDto): Promise<ApiKeyDto> {
    const revoked = await this.keys.revoke(tokenId, body.reason, body.revoked_by, { id: adminActorOf(request) });
    annotateRequest(request, { event: 'key_revoked', key_id: tokenId, provider_id: revoked.providerId });
    return toApiKeyDto(revoked);
  }

  @Post(':token_id/rotate')
  @ApiOperation({
    summary: 'Rotate a key',
    description: 'A new key with the same metadata (returned once); the old key keeps working until the grace period ends.',
  })
  @ApiCreatedResponse({ type: RotatedKeyDto })
  @ApiNotFoundResponse({ description: 'No key with that id.' })
  @ApiConflictResponse({ description: 'The key is revoked, expired or already rotated.' })
  async rotate(@Req() request: FastifyRequest, @Param('token_id', TokenIdPipe) tokenId: string, @Body() body: RotateKeyRequestDto): Promise<RotatedKeyDto> {
    const rotated = await this.keys.rotate(tokenId, body?.grace_period_seconds ?? DEFAULT_GRACE_PERIOD_SECONDS, { id: adminActorOf(request) });
    annotateRequest(request, { event: 'key_rotated', key_id: tokenId, new_key_id: rotated.record.id, provider_id: rotated.record.providerId });
    return { ...toApiKeyDto(rotated.record), key: rotated.key, previous: toApiKeyDto(rotated.previous) };
  }
}
