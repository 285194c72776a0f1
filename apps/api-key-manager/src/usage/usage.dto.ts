import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';

export class UsageRecordDto {
  @ApiProperty({ format: 'uuid', description: 'The key used (token_id / key_id from verify).' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'key_id must be a UUID (lowercase)' })
  key_id!: string;

  @ApiProperty({ description: 'What was called, 1-256 characters.', example: 'GET /v1/orders' })
  @IsString()
  @Length(1, 256)
  endpoint!: string;

  @ApiProperty({ description: 'The HTTP status the gateway answered, 100-599.', example: 200 })
  @IsInt()
  @Min(100)
  @Max(599)
  status_code!: number;

  @ApiProperty({ description: 'How many such requests, 1-1,000,000.', example: 1 })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  count!: number;
}

export class BatchUsageRequestDto {
  @ApiProperty({ type: [UsageRecordDto], description: '1-1000 records.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => UsageRecordDto)
  records!: UsageRecordDto[];
}

export class RejectedUsageDto {
  @ApiProperty() index!: number;
  @ApiProperty() key_id!: string;
  @ApiProperty({ example: 'unknown key_id' }) reason!: string;
}

export class BatchUsageResponseDto {
  @ApiProperty({ description: 'Requests counted (the sum of the accepted records’ counts).' }) accepted!: number;
  @ApiProperty({ type: [RejectedUsageDto] }) rejected!: RejectedUsageDto[];
}

export class DailyUsageDto {
  @ApiProperty({ example: '2026-11-22' }) date!: string;
  @ApiProperty() requests!: number;
}

export class KeyUsageDto {
  @ApiProperty({ format: 'uuid' }) token_id!: string;
  @ApiProperty() total_requests!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { verify: 10, 'GET /v1/orders': 4 } })
  by_endpoint!: Record<string, number>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { '200': 12, '403': 2 } })
  by_status_code!: Record<string, number>;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_used_at!: string | null;
  @ApiProperty({ type: [DailyUsageDto] }) daily!: DailyUsageDto[];
}

export class ExportRequestDto {
  @ApiPropertyOptional({ description: 'The UTC day to export, YYYY-MM-DD (default: yesterday).', example: '2026-11-22' })
  @IsOptional()
  @IsString()
  date?: string;

  @ApiPropertyOptional({ description: 'Replace files that already exist (default false).' })
  @IsOptional()
  @IsBoolean()
  overwrite?: boolean;
}

export class ExportedBlobDto {
  @ApiProperty({ example: 'usage/2026-11-22.jsonl' }) blob!: string;
  @ApiProperty() records!: number;
  @ApiProperty({ enum: ['written', 'existing'] }) outcome!: 'written' | 'existing';
}

export class ExportResponseDto {
  @ApiProperty() date!: string;
  @ApiProperty() container!: string;
  @ApiProperty() usage!: ExportedBlobDto;
  @ApiProperty() audit!: ExportedBlobDto;
}
