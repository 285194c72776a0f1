import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
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
import { ApiKeyGuard } from '../auth/api-key.guard';
import { DomainExceptionFilter } from '../http/domain-exception.filter';
import { TokenValidationService } from './token-validation.service';
import { type TokenMetadata, TokenVaultService } from './token-vault.service';
import {
  AccessTokenDto,
  StoreTokenDto,
  TokenListDto,
  TokenMetadataDto,
  UserQueryDto,
  ValidateTokenDto,
  ValidationVerdictDto,
} from './vault.dto';

export const tokenIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => new BadRequestException('id must be a UUID'),
});

@ApiTags('tokens')
@ApiBearerAuth()
@ApiSecurity('api-key')
@ApiUnauthorizedResponse({
  description: 'Missing or invalid API key; or (code REFRESH_TOKEN_REVOKED) the user must sign in again.',
})
@ApiServiceUnavailableResponse({
  description: 'The identity provider or the database is unavailable; nothing was changed.',
})
@Controller('tokens')
@UseGuards(ApiKeyGuard)
@UseFilters(DomainExceptionFilter)
export class VaultController {
  constructor(
    private readonly vault: TokenVaultService,
    private readonly validation: TokenValidationService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Store a refresh or offline token',
    description: 'Checked with the provider (introspection) first; stored encrypted.',
  })
  @ApiCreatedResponse({ type: TokenMetadataDto })
  @ApiConflictResponse({ description: 'The same token is stored already; the message names its id.' })
  @ApiBadRequestResponse({
    description: 'Malformed body; the token is not active, of another type, or issued to another client.',
  })
  async store(@Req() request: FastifyRequest, @Body() body: StoreTokenDto): Promise<TokenMetadata> {
    const stored = await this.vault.storeToken(body.refresh_token, body.token_type);
    annotateRequest(request, {
      event: 'token_stored',
      token_id: stored.id,
      user_id: stored.user_id,
      token_type: stored.token_type,
    });
    return stored;
  }

  @Get()
  @ApiOperation({ summary: "List a user's stored tokens (metadata only)" })
  @ApiOkResponse({ type: TokenListDto })
  async list(@Query() query: UserQueryDto): Promise<{ tokens: TokenMetadata[] }> {
    return { tokens: await this.vault.listTokens(query.user_id) };
  }

  @Post('validate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Validate an access token',
    description:
      "Introspects the token and returns the provider's verdict; active verdicts are cached up to 60 s (never past exp), inactive ones 5 s.",
  })
  @ApiOkResponse({ type: ValidationVerdictDto })
  async validate(
    @Req() request: FastifyRequest,
    @Body() body: ValidateTokenDto,
  ): Promise<Record<string, unknown>> {
    const { verdict, cacheHit } = await this.validation.validate(body.token);
    annotateRequest(request, {
      event: 'token_validated',
      active: verdict.active,
      cache: cacheHit ? 'hit' : 'miss',
    });
    return { ...verdict };
  }

  @Get(':id')
  @ApiOperation({ summary: "A stored token's metadata" })
  @ApiOkResponse({ type: TokenMetadataDto })
  @ApiNotFoundResponse({ description: 'No stored token with that id.' })
  get(@Param('id', tokenIdPipe) id: string): Promise<TokenMetadata> {
    return this.vault.getToken(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a stored token at the provider and delete it' })
  @ApiNotFoundResponse({ description: 'No stored token with that id.' })
  async remove(@Req() request: FastifyRequest, @Param('id', tokenIdPipe) id: string): Promise<void> {
    const deleted = await this.vault.deleteToken(id);
    annotateRequest(request, { event: 'token_deleted', token_id: id, user_id: deleted.user_id });
  }

  @Post(':id/access-token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Mint an access token from a stored token',
    description:
      'Served from cache while it has AUTH_MANAGER_ACCESS_TOKEN_MIN_VALIDITY_SECONDS left; otherwise one refresh, whose rotated refresh token is stored before this answers.',
  })
  @ApiOkResponse({ type: AccessTokenDto })
  @ApiNotFoundResponse({ description: 'No stored token with that id.' })
  async mint(@Req() request: FastifyRequest, @Param('id', tokenIdPipe) id: string): Promise<AccessTokenDto> {
    const { token, source } = await this.vault.mintAccessToken(id);
    annotateRequest(request, { event: 'access_token_minted', token_id: id, source });
    return {
      access_token: token.accessToken,
      token_type: 'Bearer',
      expires_in: Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000)),
      expires_at: new Date(token.expiresAt).toISOString(),
      scope: token.scope,
    };
  }
}
