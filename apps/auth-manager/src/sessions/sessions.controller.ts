import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  Param,
  type PipeTransform,
  Query,
  Req,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { annotateRequest } from '@auth-platform/platform';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { DomainExceptionFilter } from '../http/domain-exception.filter';
import { UserQueryDto } from '../vault/vault.dto';
import { type EndedSession, type SessionView, SessionsService } from './sessions.service';

class SessionDto {
  @ApiProperty({ description: "The provider's session id (sid)." }) session_id!: string;
  @ApiProperty({ description: 'When the vault first stored a token of this session.' })
  first_seen_at!: string;
  @ApiPropertyOptional({ nullable: true, description: 'The last refresh of any of its tokens.' })
  last_refresh_at!: string | null;
  @ApiProperty() token_count!: number;
  @ApiProperty({ description: 'Tokens not revoked.' }) active_token_count!: number;
}

class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) sessions!: SessionDto[];
}

class EndedSessionDto {
  @ApiProperty() session_id!: string;
  @ApiProperty({ description: 'Tokens revoked at the provider and deleted from the vault.' })
  revoked_tokens!: number;
  @ApiProperty({
    enum: ['ended', 'not_found', 'not_configured'],
    description:
      'The Keycloak session itself (admin API); not_configured without KEYCLOAK_ADMIN_CLIENT_ID/SECRET.',
  })
  provider_session!: string;
}

const SESSION_ID = /^[\x21-\x7e]{1,255}$/;

class SessionIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!SESSION_ID.test(value)) throw new BadRequestException('sid must be 1-255 visible ASCII characters');
    return value;
  }
}

@ApiTags('sessions')
@ApiBearerAuth()
@ApiSecurity('api-key')
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key.' })
@Controller('sessions')
@UseGuards(ApiKeyGuard)
@UseFilters(DomainExceptionFilter)
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: "A user's sessions, as known from the tokens in the vault" })
  @ApiOkResponse({ type: SessionListDto })
  async list(@Query() query: UserQueryDto): Promise<{ sessions: SessionView[] }> {
    return { sessions: await this.sessions.listSessions(query.user_id) };
  }

  @Delete(':sid')
  @ApiOperation({
    summary: 'End a session',
    description:
      'Revokes every token of the session at the provider and in the vault; with admin credentials also ends it in Keycloak.',
  })
  @ApiOkResponse({ type: EndedSessionDto })
  @ApiNotFoundResponse({ description: 'Neither the vault nor the provider knows the session.' })
  @ApiServiceUnavailableResponse({
    description: 'The provider or the database is unavailable; tokens not yet revoked stay stored.',
  })
  async end(
    @Req() request: FastifyRequest,
    @Param('sid', new SessionIdPipe()) sid: string,
  ): Promise<EndedSession> {
    const ended = await this.sessions.endSession(sid);
    annotateRequest(request, {
      event: 'session_ended',
      session_id: sid,
      revoked_tokens: ended.revoked_tokens,
      provider_session: ended.provider_session,
    });
    return ended;
  }
}
