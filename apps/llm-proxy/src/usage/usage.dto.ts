import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class UsageQueryDto {
  @ApiPropertyOptional({ description: 'UTC day, YYYY-MM-DD (default: today).', example: '2025-01-31' })
  @IsOptional()
  @Matches(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, {
    message: 'day must be a date in the form YYYY-MM-DD',
  })
  day?: string;

  @ApiPropertyOptional({ description: 'Only this product.' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  product?: string;

  @ApiPropertyOptional({ description: 'Only this user.' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;
}

export class UsageRowDto {
  @ApiProperty() product!: string;
  @ApiProperty() user!: string;
  @ApiProperty({ description: 'Requests forwarded upstream.' }) requests!: number;
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty() total_tokens!: number;
}

export class UsageTotalsDto {
  @ApiProperty() requests!: number;
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty() total_tokens!: number;
}

export class UsageReportDto {
  @ApiProperty({ example: '2025-01-31' }) day!: string;
  @ApiProperty({ enum: ['redis', 'memory'], description: 'redis: every replica; memory: this process only.' })
  source!: 'redis' | 'memory';
  @ApiProperty({ description: 'Redis is configured but unreachable: only this replica’s unflushed counts.' })
  partial!: boolean;
  @ApiProperty({ type: [UsageRowDto] }) usage!: UsageRowDto[];
  @ApiProperty({ type: UsageTotalsDto }) totals!: UsageTotalsDto;
}
