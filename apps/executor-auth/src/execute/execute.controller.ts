import { Body, Controller, HttpCode, Param, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiGatewayTimeoutResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { annotateRequest } from '@auth-platform/platform';
import { ExecutorApiKeyGuard } from '../auth/api-key.guard';
import { ExecuteRequestDto, ExecuteResponseDto } from './execute.dto';
import { ExecuteExceptionFilter } from './execute-exception.filter';
import { type ExecuteContext, ExecuteService } from './execute.service';

function contextOf(request: FastifyRequest): ExecuteContext {
  return { requestId: request.id, annotate: (fields) => annotateRequest(request, fields) };
}

const ANSWERS = 'The platform answered (any status, its response in the body)';

@ApiTags('execute')
@ApiBearerAuth()
@Controller()
@UseGuards(ExecutorApiKeyGuard)
@UseFilters(ExecuteExceptionFilter)
export class ExecuteController {
  constructor(private readonly executor: ExecuteService) {}

  @Post('execute')
  @HttpCode(200)
  @ApiOkResponse({ type: ExecuteResponseDto, description: `${ANSWERS}; default profile.` })
  @ApiBadRequestResponse({
    description: 'Malformed body, or a path that leaves the API root or is not allowed.',
  })
  @ApiUnauthorizedResponse({ description: 'Invalid API key (Authorization: Bearer <key> or X-API-Key).' })
  @ApiNotFoundResponse({ description: 'No default profile (only named ones).' })
  @ApiBadGatewayResponse({ description: 'The platform could not be reached, or its response is too large.' })
  @ApiServiceUnavailableResponse({ description: 'No platform token: the login failed or was rejected.' })
  @ApiGatewayTimeoutResponse({ description: 'No answer (or no token) within API_EXECUTOR_TIMEOUT.' })
  execute(@Req() request: FastifyRequest, @Body() body: ExecuteRequestDto): Promise<ExecuteResponseDto> {
    return this.executor.execute(undefined, body, contextOf(request));
  }

  @Post('profiles/:name/execute')
  @HttpCode(200)
  @ApiParam({
    name: 'name',
    description: 'A profile of EXECUTOR_PROFILES ("default" is the one of the plain variables).',
  })
  @ApiOkResponse({ type: ExecuteResponseDto, description: `${ANSWERS}; named profile.` })
  @ApiNotFoundResponse({ description: 'No profile of that name.' })
  executeForProfile(
    @Param('name') name: string,
    @Req() request: FastifyRequest,
    @Body() body: ExecuteRequestDto,
  ): Promise<ExecuteResponseDto> {
    return this.executor.execute(name, body, contextOf(request));
  }
}
