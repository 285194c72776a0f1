import { Controller, Get, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { annotateRequest } from '@auth-platform/platform';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { DomainExceptionFilter } from '../http/domain-exception.filter';
import type { TokenMetadata } from '../vault/token-vault.service';
import { TokenMetadataDto, UserQueryDto } from '../vault/vault.dto';
import { type OfflineAuthorization, OfflineAuthorizationService } from './offline-authorization.service';

class OfflineAuthorizationDto {
  @ApiProperty({
    description: "Send the user's browser here: the provider's sign-in and consent for offline access.",
  })
  authorization_url!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty({ description: 'Where the provider sends the browser back (KEYCLOAK_REDIRECT_URI).' })
  redirect_uri!: string;
  @ApiProperty({ description: 'The link works until then (AUTH_MANAGER_OFFLINE_STATE_TTL_SECONDS).' })
  state_expires_at!: string;
}

class OfflineCallbackDto {
  @ApiProperty({ example: 'Offline token stored' }) message!: string;
  @ApiProperty({ type: TokenMetadataDto }) token!: TokenMetadataDto;
}

@ApiTags('offline')
@Controller('offline')
@UseFilters(DomainExceptionFilter)
export class OfflineController {
  constructor(private readonly offline: OfflineAuthorizationService) {}

  @Get('authorize')
  @UseGuards(ApiKeyGuard)
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @ApiOperation({
    summary: 'Start the offline-token flow for a user',
    description:
      'Returns the provider authorization URL: scope `openid offline_access`, PKCE S256 and a signed, expiring, single-use state.',
  })
  @ApiOkResponse({ type: OfflineAuthorizationDto })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid API key.' })
  authorize(@Query() query: UserQueryDto): Promise<OfflineAuthorization> {
    return this.offline.authorize(query.user_id);
  }

  /** Reached by the user's browser, not by an API client: the signed state protects it instead of an API key. */
  @Get('callback')
  @ApiOperation({
    summary: 'Provider redirect target (KEYCLOAK_REDIRECT_URI)',
    description:
      'Verifies the state, exchanges the code (PKCE), checks the ID token subject and stores the offline token.',
  })
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'state', required: true })
  @ApiQuery({
    name: 'error',
    required: false,
    description: 'Set by the provider when the user denied the request.',
  })
  @ApiOkResponse({ type: OfflineCallbackDto })
  @ApiBadRequestResponse({
    description: 'State tampered with, expired or already used; code missing; the provider refused.',
  })
  @ApiForbiddenResponse({ description: 'The account that signed in is not the user the link was made for.' })
  @ApiServiceUnavailableResponse({ description: 'The identity provider or the database is unavailable.' })
  async callback(@Req() request: FastifyRequest): Promise<{ message: string; token: TokenMetadata }> {
    const rawQuery = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    const token = await this.offline.completeCallback(new URLSearchParams(rawQuery));
    annotateRequest(request, { event: 'offline_token_stored', token_id: token.id, user_id: token.user_id });
    return { message: 'Offline token stored', token };
  }
}
