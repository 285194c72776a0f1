import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MAX_SAS_TTL_SECONDS } from './sas-policy';

export class SasRequestDto {
  @ApiProperty({ description: 'The table, one of SAS_ALLOWED_TABLES.', example: 'Orders' })
  @IsString()
  @Matches(/^[A-Za-z][A-Za-z0-9]{2,62}$/, { message: 'table must be a table name: 3-63 letters or digits, starting with a letter' })
  table!: string;

  @ApiPropertyOptional({ description: 'Azure table SAS permission letters: r (read), a (add), u (update), d (delete). Default r.', example: 'r' })
  @IsOptional()
  @IsString()
  @Matches(/^[raud]{1,4}$/, { message: 'permissions must be 1-4 of the letters r, a, u, d' })
  permissions?: string;

  @ApiPropertyOptional({ description: 'Pins the token to this one partition.', example: 'customer-42' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  // Characters Azure does not allow in a PartitionKey.
  @Matches(/^[^/\\#?\p{Cc}]+$/u, { message: 'partition_key must not contain / \\ # ? or control characters' })
  partition_key?: string;

  @ApiPropertyOptional({ description: `Lifetime, 60-${MAX_SAS_TTL_SECONDS} seconds (default SAS_DEFAULT_TTL_SECONDS).`, example: 900 })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(MAX_SAS_TTL_SECONDS)
  expires_in_seconds?: number;
}

export class SasResponseDto {
  @ApiProperty({ description: 'The SAS query string (without "?"). Use with AzureSASCredential, or append to table_url.' })
  sas_token!: string;
  @ApiProperty({ example: 'https://account.table.core.windows.net/Orders' })
  table_url!: string;
  @ApiProperty({ description: 'The Table service endpoint, for SDK clients: new TableClient(table_endpoint, table, new AzureSASCredential(sas_token)).' })
  table_endpoint!: string;
  @ApiProperty() table!: string;
  @ApiProperty({ example: 'r' }) permissions!: string;
  @ApiProperty({ nullable: true, type: String }) partition_key!: string | null;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
}

export class SasTablePolicyDto {
  @ApiProperty() table!: string;
  @ApiProperty({ example: 'ra' }) permissions!: string;
}

export class SasPolicyDto {
  @ApiProperty({ type: [SasTablePolicyDto] }) allowed_tables!: SasTablePolicyDto[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'The key scope each permission needs.' })
  permission_scopes!: Record<string, string>;
  @ApiProperty() default_ttl_seconds!: number;
  @ApiProperty() max_ttl_seconds!: number;
  @ApiProperty() https_only!: boolean;
  @ApiProperty({ description: 'Issuance limit per key.' }) rate_limit!: { requests: number; window_ms: number };
  @ApiProperty({ description: 'False when the storage connection has no account key to sign with.' }) available!: boolean;
}
