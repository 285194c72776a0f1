import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * For the API docs only: the handler takes the body as sent and checks it with parseChatCompletionRequest, because
 * every other field of OpenAI's API (tools, response_format, ...) must reach the upstream untouched, which a
 * whitelisting DTO would not allow.
 */
export class ChatCompletionRequestDoc {
  @ApiProperty({ description: 'One of API_KEY_SERVER_ALLOWED_MODELS.', example: 'gpt-4o-mini' })
  model!: string;

  @ApiProperty({
    description: 'A non-empty list of messages, each with a role.',
    example: [{ role: 'user', content: 'Hello' }],
  })
  messages!: Record<string, unknown>[];

  @ApiPropertyOptional({ description: 'At most API_KEY_SERVER_MAX_TOKENS.', example: 256 })
  max_tokens?: number;

  @ApiPropertyOptional({ description: 'At most API_KEY_SERVER_MAX_TOKENS.' })
  max_completion_tokens?: number;

  @ApiPropertyOptional({
    description:
      'Within [API_KEY_SERVER_MIN_TEMPERATURE, API_KEY_SERVER_MAX_TEMPERATURE], by default [0, 2].',
    example: 0.7,
  })
  temperature?: number;

  @ApiPropertyOptional({ description: 'Server-Sent Events, relayed chunk by chunk.' })
  stream?: boolean;

  @ApiPropertyOptional({ description: '{ include_usage: true } adds the final usage chunk.' })
  stream_options?: Record<string, unknown>;
}

class ModelDoc {
  @ApiProperty({ example: 'gpt-4o-mini' }) id!: string;
  @ApiProperty({ example: 'model' }) object!: 'model';
  @ApiProperty({ example: 1700000000 }) created!: number;
  @ApiProperty({ example: 'llm-proxy' }) owned_by!: string;
}

export class ModelListDoc {
  @ApiProperty({ example: 'list' }) object!: 'list';
  @ApiProperty({ type: [ModelDoc] }) data!: ModelDoc[];
}
