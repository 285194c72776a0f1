import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { VerificationCode } from './verification.service';

/** Documents the verify body; the body itself is checked by parseVerifyRequest (the hot path skips class-validator). */
export class VerifyKeyRequestDto {
  @ApiProperty({ description: 'The key a client presented (X-API-Key).', example: 'permas_live_4eC39HqLyjWDarjtT1zdp7dcK2tGk0nM1DwaxK' })
  key!: string;

  @ApiPropertyOptional({ type: [String], description: 'Scopes the key must all carry.', example: ['api:access'] })
  required_scopes?: string[];

  @ApiPropertyOptional({ description: "The client's address, checked against the key's ip_restrictions.", example: '203.0.113.7' })
  client_ip?: string;
}

export class VerifyKeyResponseDto {
  @ApiProperty({ description: 'True only for code VALID.' })
  valid!: boolean;

  @ApiProperty({
    enum: VerificationCode,
    description:
      'VALID; MALFORMED (bad format or checksum, refused without a storage lookup); NOT_FOUND; REVOKED; EXPIRED (also after a rotation grace period); IP_NOT_ALLOWED; INSUFFICIENT_SCOPES.',
  })
  code!: VerificationCode;

  @ApiProperty({ nullable: true, type: String, format: 'uuid' })
  key_id!: string | null;

  @ApiProperty({ nullable: true, type: String })
  provider_id!: string | null;

  @ApiProperty({ nullable: true, enum: ['test', 'live'] })
  environment!: 'test' | 'live' | null;

  @ApiProperty({ type: [String] })
  scopes!: string[];

  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When the key stops working; null if it does not expire.' })
  expires_at!: string | null;
}
