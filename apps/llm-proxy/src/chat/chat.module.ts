import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module';
import { ApiErrorEnvelopeFilter } from '../errors/openai-error.filter';
import { RequestLimits } from '../limits/request-limits.service';
import { UsageModule } from '../usage/usage.module';
import { ChatCompletionsController } from './chat-completions.controller';
import { ChatCompletionsService } from './chat-completions.service';
import { OpenAiUpstream } from './openai-upstream.client';

@Module({
  imports: [AuthModule, UsageModule],
  controllers: [ChatCompletionsController],
  providers: [
    ChatCompletionsService,
    OpenAiUpstream,
    RequestLimits,
    // Registered after the platform's, so it is consulted first (see ApiErrorEnvelopeFilter).
    { provide: APP_FILTER, useClass: ApiErrorEnvelopeFilter },
  ],
})
export class ChatModule {}
