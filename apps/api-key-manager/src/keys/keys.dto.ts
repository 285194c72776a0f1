import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  type ValidationArguments,
  registerDecorator,
} from 'class-validator';
import { checkIpRestriction } from '../verification/ip-allow-list';
import { type ApiKeyRecord, type ApiKeyStatus, effectiveExpiry, keyStatus } from './api-key.record';

export const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
export const PROVIDER_ID_RULE = 'provider_id must be 1-128 characters: letters, digits and . _ : @ - (starting with a letter or digit)';
export const SCOPE = /^[A-Za-z0-9][A-Za-z0-9:._*/-]{0,99}$/;
const SCOPE_RULE = 'each scope must be 1-100 characters: letters, digits and : . _ * / - (starting with a letter or digit)';
export const MAX_GRACE_PERIOD_SECONDS = 7 * 86_400;
export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;

/** Each entry an IPv4/IPv6 address or CIDR range; the message names the entry and what is wrong with it. */
function IsIpRestriction() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isIpRestriction',
      target: target.constructor,
      propertyName,
      options: { each: true },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && checkIpRestriction(value).ok,
        defaultMessage: (args?: ValidationArguments) => {
          // With each: true the whole array arrives here; name the first entry that fails.
          const entries: unknown[] = Array.isArray(args?.value) ? args.value : [args?.value];
          for (const entry of entries) {
            if (typeof entry !== 'string') return `${propertyName} entries must be strings`;
            const checked = checkIpRestriction(entry);
            if (!checked.ok) return `${propertyName} entry ${JSON.stringify(entry.slice(0, 60))} ${checked.reason}`;
          }
          return `${propertyName} entries must be IPv4 or IPv6 addresses or CIDR ranges`;
        },
      },
    });
}

export class GenerateKeyRequestDto {
  @ApiProperty({ description: 'The provider (tenant, team, customer) that owns the key.', example: 'provider123' })
  @IsString()
  @Matches(PROVIDER_ID, { message: PROVIDER_ID_RULE })
  provider_id!: string;

  @ApiProperty({ description: 'A name for people, 1-200 characters.', example: 'My API Key' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: ['test', 'live'], description: 'Test keys and live keys never mix: the environment is part of the key.', example: 'test' })
  @IsIn(['test', 'live'], { message: 'environment must be test or live' })
  environment!: 'test' | 'live';

  @ApiProperty({ type: [String], description: 'Permissions the key carries (at most 50).', example: ['api:access'] })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(SCOPE, { each: true, message: SCOPE_RULE })
  scopes!: string[];

  @ApiPropertyOptional({ description: 'Days until the key expires (1-3650); without it the key does not expire.', example: 365 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expires_in_days?: number;

  @ApiPropertyOptional({ description: 'Free text, at most 1000 characters.', example: 'My test API key' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'Client addresses allowed to use the key: IPv4/IPv6 addresses and CIDR ranges (at most 100). Empty or absent: any address.',
    example: ['192.168.1.1', '10.0.0.0/8', '2001:db8::/32'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsIpRestriction()
  ip_restrictions?: string[];
}

export class ListKeysQueryDto {
  @ApiProperty({ description: 'Whose keys to list.', example: 'provider123' })
  @IsString()
  @Matches(PROVIDER_ID, { message: PROVIDER_ID_RULE })
  provider_id!: string;

  @ApiPropertyOptional({ description: 'Page size, 1-100 (default 50).', example: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'continuation_token from the previous page.' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  continuation_token?: string;
}

export class RevokeKeyRequestDto {
  @ApiProperty({ description: 'Why the key is revoked (kept in the key and the audit log), 1-500 characters.', example: 'Leaked in a public repository' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason!: string;

  @ApiPropertyOptional({ description: 'The person revoking, recorded with the admin credential that was used.', example: 'alice@example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  revoked_by?: string;
}

export class RotateKeyRequestDto {
  @ApiPropertyOptional({
    description: `How long the old key keeps working, 0-${MAX_GRACE_PERIOD_SECONDS} seconds (default ${DEFAULT_GRACE_PERIOD_SECONDS}).`,
    example: 3600,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_GRACE_PERIOD_SECONDS)
  grace_period_seconds?: number;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) token_id!: string;
  @ApiProperty() provider_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: ['test', 'live'] }) environment!: 'test' | 'live';
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: [String] }) ip_restrictions!: string[];
  @ApiProperty({ description: 'Enough of the key to recognise it; never the key.', example: 'permas_test_4eC3…' }) display_prefix!: string;
  @ApiProperty({ enum: ['active', 'rotating', 'expired', 'revoked'], description: 'rotating: replaced by rotation, working until grace_until.' })
  status!: ApiKeyStatus;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the key stops working (expiry or end of grace).' })
  expires_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revoked_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) revoked_by!: string | null;
  @ApiProperty({ nullable: true, type: String }) revocation_reason!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) rotated_from!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) rotated_to!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) grace_until!: string | null;
}

export class GeneratedKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The API key. Shown this once: only its hash is stored.', example: 'permas_test_4eC39HqLyjWDarjtT1zdp7dcK2tGk0nM1DwaxK' })
  key!: string;
}

export class RotatedKeyDto extends GeneratedKeyDto {
  @ApiProperty({ description: 'The key that was replaced; it works until its expires_at.' })
  previous!: ApiKeyDto;
}

export class KeyPageDto {
  @ApiProperty({ type: [ApiKeyDto] }) keys!: ApiKeyDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as continuation_token for the next page; null on the last page.' })
  continuation_token!: string | null;
}

function isoOrNull(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString();
}

export function toApiKeyDto(record: ApiKeyRecord, now = Date.now()): ApiKeyDto {
  return {
    token_id: record.id,
    provider_id: record.providerId,
    name: record.name,
    description: record.description ?? null,
    environment: record.environment,
    scopes: [...record.scopes],
    ip_restrictions: [...record.ipRestrictions],
    display_prefix: record.displayPrefix,
    status: keyStatus(record, now),
    created_at: new Date(record.createdAt).toISOString(),
    expires_at: isoOrNull(effectiveExpiry(record)),
    revoked_at: isoOrNull(record.revokedAt),
    revoked_by: record.revokedBy ?? null,
    revocation_reason: record.revocationReason ?? null,
    rotated_from: record.rotatedFrom ?? null,
    rotated_to: record.rotatedTo ?? null,
    grace_until: isoOrNull(record.graceUntil),
  };
}
