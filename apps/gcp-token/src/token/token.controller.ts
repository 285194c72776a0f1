import { Body, Controller, HttpCode, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { annotateRequest } from '@auth-platform/platform';
import { RateLimit } from '@auth-platform/rate-limit';
import { ApiKeyGuard, apiKeyIdOf } from '../auth/api-key.guard';
import { TokenRequestDto, TokenResponseDto } from './token.dto';
import { TokenExceptionFilter } from './token-exception.filter';
import { TokenService } from './token.service';

@ApiTags('token')
@ApiBearerAuth()
@Controller('token')
@UseGuards(ApiKeyGuard)
@UseFilters(TokenExceptionFilter)
export class TokenController {
  constructor(private readonly tokens: TokenService) {}

  @Post()
  @HttpCode(200)
  @RateLimit('token', { key: apiKeyIdOf })
  @ApiOkResponse({ type: TokenResponseDto, description: 'A Google OAuth2 access token, from the cache while it is fresh.' })
  @ApiBadRequestResponse({ description: 'Malformed body, a scope outside ALLOWED_SCOPES, or a lifetime too long.' })
  @ApiUnauthorizedResponse({ description: 'Invalid API key.' })
  @ApiForbiddenResponse({ description: 'Impersonation of that service account is not allowed.' })
  @ApiTooManyRequestsResponse({ description: 'Over TOKEN_RATE_LIMIT_PER_MINUTE for this key.' })
  @ApiBadGatewayResponse({ description: 'Failed to obtain access token from Google.' })
  issue(@Req() request: FastifyRequest, @Body() body: TokenRequestDto = {}): Promise<TokenResponseDto> {
    const context = { keyId: apiKeyIdOf(request) ?? 'unknown', annotate: (fields: Record<string, unknown>) => annotateRequest(request, fields) };
    return this.tokens.issue(context, body ?? {});
  }
}
