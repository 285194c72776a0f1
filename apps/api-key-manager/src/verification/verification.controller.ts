import { Controller, HttpCode, HttpStatus, Post, Req, Res, UseFilters } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { annotateRequest } from '@auth-platform/platform';
import { SERVICE_SCHEME, ServiceKeys } from '../auth/service-key.guard';
import { KeysExceptionFilter } from '../keys/keys-exception.filter';
import { StorageExceptionFilter } from '../storage/storage-exception.filter';
import { VerifyKeyRequestDto, VerifyKeyResponseDto } from './verification.dto';
import { VerificationCode, VerificationService } from './verification.service';
import { parseVerifyRequest } from './verify-request';

@ApiTags('verification')
@ApiBearerAuth(SERVICE_SCHEME)
@Controller('auth/keys')
@UseFilters(StorageExceptionFilter, KeysExceptionFilter)
export class VerificationController {
  constructor(
    private readonly verification: VerificationService,
    private readonly serviceKeys: ServiceKeys,
  ) {}

  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Verify a key',
    description: 'For gateways and services, with a service key from VERIFY_API_KEYS. Always 200 with a code; counts toward the key usage.',
  })
  @ApiBody({ type: VerifyKeyRequestDto })
  @ApiOkResponse({ type: VerifyKeyResponseDto })
  @ApiBadRequestResponse({ description: 'The body is not { key, required_scopes?, client_ip? }; the message names the field.' })
  @ApiUnauthorizedResponse({ description: 'Missing or invalid service key.' })
  @ApiServiceUnavailableResponse({ description: 'Key storage is unavailable and the key is not in the cache.' })
  // The hot path: no guard, pipe or response interceptor machinery (each showed up in profiles); the same checks
  // are made by hand and the reply is sent directly. Errors still reach the filters above.
  async verify(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.serviceKeys.authenticate(request);
    const input = parseVerifyRequest(request.body);
    const result = await this.verification.verify({ key: input.key, requiredScopes: input.requiredScopes, clientIp: input.clientIp, endpoint: 'verify' });
    const record = result.record;
    annotateRequest(request, { event: 'key_verify', key_id: record?.id, code: result.code, cache: result.cache });
    const body: VerifyKeyResponseDto = {
      valid: result.code === VerificationCode.VALID,
      code: result.code,
      key_id: record?.id ?? null,
      provider_id: record?.providerId ?? null,
      environment: result.environment ?? null,
      scopes: record ? [...record.scopes] : [],
      expires_at: result.expiresAt === undefined ? null : new Date(result.expiresAt).toISOString(),
    };
    await reply.send(body);
  }
}
