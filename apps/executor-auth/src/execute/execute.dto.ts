import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  Allow,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  Validate,
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';

export const EXECUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type ExecuteMethod = (typeof EXECUTE_METHODS)[number];

export type QueryScalar = string | number | boolean;
export type QueryValue = QueryScalar | QueryScalar[];

const MAX_QUERY_PARAMETERS = 100;
const MAX_HEADERS = 64;
const MAX_HEADER_VALUE_LENGTH = 8192;
/** RFC 9110 token: the characters a header name may hold. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
/** What HTTP/1.1 (and undici) accept in a header value: tab, visible ASCII, space and Latin-1, no line breaks. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isScalar = (value: unknown): value is QueryScalar =>
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value));
/** Caller input quoted in a message is cut short, so a message stays readable. */
const shown = (text: string) => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);

export function queryProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'query must be an object of parameter name to value';
  const entries = Object.entries(value);
  if (entries.length > MAX_QUERY_PARAMETERS)
    return `query must have at most ${MAX_QUERY_PARAMETERS} parameters`;
  for (const [name, item] of entries) {
    if (name === '' || name.length > 256) return 'query parameter names must be 1 to 256 characters';
    const valid =
      isScalar(item) || (Array.isArray(item) && item.length <= MAX_QUERY_PARAMETERS && item.every(isScalar));
    if (!valid) return `query.${name} must be a string, number, boolean or a list of them`;
  }
  return undefined;
}

export function headersProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'headers must be an object of header name to string value';
  const entries = Object.entries(value);
  if (entries.length > MAX_HEADERS) return `headers must have at most ${MAX_HEADERS} entries`;
  for (const [name, item] of entries) {
    if (!HEADER_NAME.test(name)) return `headers has an invalid header name ${shown(name)}`;
    if (typeof item !== 'string') return `headers.${name} must be a string`;
    if (!HEADER_VALUE.test(item))
      return `headers.${name} must hold only printable Latin-1 characters (no line breaks or control characters)`;
    if (item.length > MAX_HEADER_VALUE_LENGTH)
      return `headers.${name} must be at most ${MAX_HEADER_VALUE_LENGTH} characters`;
  }
  return undefined;
}

@ValidatorConstraint({ name: 'queryParameters' })
class QueryParametersConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return queryProblem(value) === undefined;
  }
  defaultMessage(args: ValidationArguments): string {
    return queryProblem(args.value) ?? 'query is invalid';
  }
}

@ValidatorConstraint({ name: 'headerMap' })
class HeaderMapConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return headersProblem(value) === undefined;
  }
  defaultMessage(args: ValidationArguments): string {
    return headersProblem(args.value) ?? 'headers is invalid';
  }
}

export class ExecuteRequestDto {
  @ApiProperty({
    enum: EXECUTE_METHODS,
    example: 'POST',
    description: 'HTTP method of the platform call (any case).',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsIn(EXECUTE_METHODS, { message: `method must be one of ${EXECUTE_METHODS.join(', ')}` })
  method!: ExecuteMethod;

  @ApiProperty({
    example: '/api/v1/iks',
    description:
      'Path under the platform API root (API_EXECUTOR_BASE_URL); normalised, and refused when it would leave it.',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  path!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { region: 'eu-west', limit: 10 },
    description:
      'Query parameters: strings, numbers, booleans or lists of them (a list repeats the parameter).',
  })
  @IsOptional()
  @Validate(QueryParametersConstraint)
  query?: Record<string, QueryValue>;

  @ApiPropertyOptional({
    description:
      'Request body: any JSON value, sent as JSON. A string is sent as it is when headers set a content-type other than JSON. Not allowed with GET or HEAD.',
    example: { name: 'test-cluster' },
  })
  @Allow()
  body?: unknown;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'x-correlation-id': 'abc-123' },
    description:
      'Extra request headers. Authorization, Host, hop-by-hop headers and Accept-Encoding are dropped.',
  })
  @IsOptional()
  @Validate(HeaderMapConstraint)
  headers?: Record<string, string>;
}

export class ExecuteResponseDto {
  @ApiProperty({ example: 200, description: "The platform's HTTP status." })
  status!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { 'content-type': 'application/json' },
    description: "The platform's response headers, without hop-by-hop and authentication headers.",
  })
  headers!: Record<string, string | string[]>;

  @ApiProperty({
    description:
      'Parsed JSON for a JSON response, text for other UTF-8 bodies, base64 for binary (see body_encoding), null when empty.',
    example: { id: 'c-1', status: 'creating' },
  })
  body!: unknown;

  @ApiPropertyOptional({ enum: ['base64'], description: 'Present when body is base64 of a binary response.' })
  body_encoding?: 'base64';
}
