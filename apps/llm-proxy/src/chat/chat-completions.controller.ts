import { Body, Controller, Get, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthGuard } from '../auth/client-auth.guard';
import { AuthenticatedClient, type ClientIdentity } from '../auth/client-identity';
import { OpenAiErrorFilter } from '../errors/openai-error.filter';
import { ChatCompletionRequestDoc, ModelListDoc } from './chat-completion.dto';
import { ChatCompletionsService } from './chat-completions.service';

const SIGNED_HEADERS = ['X-Client-Id', 'X-Product-Id', 'X-User-Id', 'X-Timestamp', 'X-Nonce', 'X-Signature'];

/** OpenAI's API surface: the client authenticates to the proxy; the proxy authenticates to the upstream. */
@ApiTags('openai')
@ApiBearerAuth()
@Controller('v1')
@UseGuards(ClientAuthGuard)
@UseFilters(OpenAiErrorFilter)
export class ChatCompletionsController {
  private readonly models: ModelListDoc;

  constructor(private readonly completions: ChatCompletionsService) {
    const created = Math.floor(Date.now() / 1000);
    this.models = {
      object: 'list',
      data: completions.policy.allowedModels.map((id) => ({
        id,
        object: 'model',
        created,
        owned_by: 'llm-proxy',
      })),
    };
  }

  @Post('chat/completions')
  @HttpCode(200)
  @ApiBody({ type: ChatCompletionRequestDoc })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({
    description: "The upstream's completion (JSON), or its Server-Sent Events when stream is true.",
  })
  @ApiBadRequestResponse({
    description:
      'A field outside the policy (model, max_tokens, temperature, messages), named in error.param.',
  })
  @ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or replayed client credentials.' })
  @ApiForbiddenResponse({ description: 'Unknown product, or one this client may not sign for.' })
  @ApiTooManyRequestsResponse({
    description:
      'Rate limit, daily quota or daily token quota reached, or the upstream is rate limiting; see Retry-After.',
  })
  @ApiBadGatewayResponse({ description: 'The upstream failed, timed out or could not be reached.' })
  @ApiHeader({
    name: 'X-Signature',
    required: false,
    description: `HMAC scheme, with ${SIGNED_HEADERS.join(', ')}`,
  })
  async create(
    @AuthenticatedClient() client: ClientIdentity,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.completions.complete(client, body, request, reply);
  }

  @Get('models')
  @ApiOkResponse({
    type: ModelListDoc,
    description: 'The allowed models (API_KEY_SERVER_ALLOWED_MODELS) in OpenAI list format.',
  })
  listModels(): ModelListDoc {
    return this.models;
  }
}
