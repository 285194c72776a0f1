import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminKeyGuard } from './admin-key.guard';
import { UsageQueryDto, type UsageReportDto, type UsageRowDto } from './usage.dto';
import { usageDay } from './usage-ledger';
import { UsageService } from './usage.service';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin')
@UseGuards(AdminKeyGuard)
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get('usage')
  @ApiOkResponse({ description: 'Requests and tokens per product and user for one UTC day.' })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong admin key.' })
  @ApiNotFoundResponse({ description: 'API_KEY_SERVER_ADMIN_KEY is not set.' })
  async report(@Query() query: UsageQueryDto): Promise<UsageReportDto> {
    const report = await this.usage.report(query.day ?? usageDay(Date.now()), {
      product: query.product,
      user: query.user,
    });
    const usage: UsageRowDto[] = report.rows.map((row) => ({
      product: row.product,
      user: row.user,
      requests: row.requests,
      prompt_tokens: row.promptTokens,
      completion_tokens: row.completionTokens,
      total_tokens: row.promptTokens + row.completionTokens,
    }));
    const totals = usage.reduce(
      (sum, row) => ({
        requests: sum.requests + row.requests,
        prompt_tokens: sum.prompt_tokens + row.prompt_tokens,
        completion_tokens: sum.completion_tokens + row.completion_tokens,
        total_tokens: sum.total_tokens + row.total_tokens,
      }),
      { requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    );
    return { day: report.day, source: report.source, partial: report.partial, usage, totals };
  }
}
