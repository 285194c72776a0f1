import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import type { VaultTokenType } from './encrypted-token.entity';

/** OIDC `sub`: up to 255 ASCII characters; visible ones only, so a stray space or newline is caught. */
export const USER_ID_PATTERN = /^[\x21-\x7e]{1,255}$/;
export const USER_ID_MESSAGE =
  'user_id must be 1-255 visible ASCII characters (the identity provider subject, sub)';
const MAX_TOKEN_LENGTH = 16_384;

export class StoreTokenDto {
  @ApiProperty({
    description: "A refresh or offline token issued to this service's client (KEYCLOAK_CLIENT_ID).",
    example: 'eyJhbGciOi...',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TOKEN_LENGTH)
  refresh_token!: string;

  @ApiProperty({
    enum: ['refresh', 'offline'],
    description: '`offline` for a token granted with the offline_access scope.',
  })
  @IsIn(['refresh', 'offline'])
  token_type!: VaultTokenType;
}

export class UserQueryDto {
  @ApiProperty({
    description: "The user's subject (sub) at the identity provider.",
    example: 'f4a1c1a0-6a5e-4d5f-9a61-0e2c1b6f8f10',
  })
  @IsString()
  @Matches(USER_ID_PATTERN, { message: USER_ID_MESSAGE })
  user_id!: string;
}

export class ValidateTokenDto {
  @ApiProperty({ description: 'An access token to introspect.', example: 'eyJhbGciOi...' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TOKEN_LENGTH)
  token!: string;
}

export class TokenMetadataDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() user_id!: string;
  @ApiPropertyOptional({ nullable: true, description: 'The provider session (sid) the token belongs to.' })
  session_id!: string | null;
  @ApiProperty({ enum: ['refresh', 'offline'] }) token_type!: VaultTokenType;
  @ApiProperty() client_id!: string;
  @ApiProperty({ type: [String], example: ['openid', 'offline_access'] }) scopes!: string[];
  @ApiProperty({ enum: ['active', 'revoked', 'expired'] }) status!: 'active' | 'revoked' | 'expired';
  @ApiPropertyOptional({
    nullable: true,
    description: 'When the stored refresh token expires, if the provider said.',
  })
  expires_at!: string | null;
  @ApiProperty() created_at!: string;
  @ApiPropertyOptional({ nullable: true }) last_refreshed_at!: string | null;
  @ApiPropertyOptional({ nullable: true }) revoked_at!: string | null;
  @ApiProperty({ description: 'Id of the vault key the token is encrypted under.' }) key_id!: string;
}

export class TokenListDto {
  @ApiProperty({ type: [TokenMetadataDto] }) tokens!: TokenMetadataDto[];
}

export class AccessTokenDto {
  @ApiProperty({ example: 'eyJhbGciOi...' }) access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires, counted from now.', example: 287 })
  expires_in!: number;
  @ApiProperty({ example: '2026-11-23T13:42:20.000Z' }) expires_at!: string;
  @ApiProperty({ example: 'openid offline_access' }) scope!: string;
}

export class ValidationVerdictDto {
  @ApiProperty({
    description:
      "The provider's verdict (RFC 7662); other claims (sub, scope, exp, client_id, ...) as it sent them.",
  })
  active!: boolean;
}
