import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsEmail, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

export class TokenRequestDto {
  @ApiPropertyOptional({
    description: 'OAuth scopes for the token; each must be in ALLOWED_SCOPES. Default: all allowed scopes.',
    example: ['https://www.googleapis.com/auth/cloud-platform'],
    type: [String],
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  scopes?: string[];

  @ApiPropertyOptional({
    description: 'Mint for this service account by impersonation; it must be in ALLOWED_TARGET_SERVICE_ACCOUNTS.',
    example: 'reader@my-project.iam.gserviceaccount.com',
  })
  @IsOptional()
  @IsEmail()
  target_service_account?: string;

  @ApiPropertyOptional({ description: 'Lifetime of an impersonated token in seconds (at most IMPERSONATION_MAX_LIFETIME_SECONDS).', example: 3600 })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(43_200)
  lifetime?: number;
}

export class TokenResponseDto {
  @ApiProperty({ example: 'ya29.a0...' })
  access_token!: string;

  @ApiProperty({ example: 'Bearer' })
  token_type!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the token expires, counted from now.', example: 3599 })
  expires_in!: number;

  @ApiProperty({ description: 'Expiry in UTC, ISO 8601 without a zone suffix, as the seed service sent it.', example: '2024-01-01T12:00:00' })
  expires_at!: string;
}
