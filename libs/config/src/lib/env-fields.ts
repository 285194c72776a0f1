import { z } from 'zod';

/**
 * Field builders for env schemas. Every builder takes the raw string (or undefined when the variable is unset)
 * and writes its own error message, so a message never echoes the value it rejected.
 */

const truthy = new Set(['true', '1', 'yes', 'on']);
const falsy = new Set(['false', '0', 'no', 'off']);

function integer(options: { min?: number; max?: number } = {}) {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  const range = `between ${min} and ${max}`;
  return z
    .string({ error: 'is required' })
    .trim()
    .regex(/^-?\d+$/, { error: `must be a whole number ${range}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `must be a whole number ${range}` });
}

export const env = {
  /** A non-empty string. */
  string: () => z.string({ error: 'is required' }).min(1, { error: 'must not be empty' }),

  /** A whole number within bounds. */
  int: (options: { min?: number; max?: number } = {}) => integer(options),

  /** A TCP port, 1-65535. */
  port: () =>
    z
      .string({ error: 'is required' })
      .trim()
      .regex(/^\d+$/, { error: 'must be a port number (1-65535)' })
      .transform(Number)
      .refine((n) => n >= 1 && n <= 65535, { error: 'must be a port number (1-65535)' }),

  /** true/false, 1/0, yes/no, on/off (any case). */
  bool: () =>
    z
      .string({ error: 'is required' })
      .trim()
      .toLowerCase()
      .refine((v) => truthy.has(v) || falsy.has(v), { error: 'must be true or false' })
      .transform((v) => truthy.has(v)),

  /** A comma-separated list; blanks are dropped. */
  list: () =>
    z.string({ error: 'is required' }).transform((v) =>
      v
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    ),

  /** An http(s) URL. */
  httpUrl: () =>
    z.string({ error: 'is required' }).refine(
      (v) => {
        try {
          const url = new URL(v);
          return url.protocol === 'http:' || url.protocol === 'https:';
        } catch {
          return false;
        }
      },
      { error: 'must be an http(s) URL' },
    ),

  /** A URL of one of the given schemes (redis:, postgres:, ...). */
  url: (schemes: readonly string[]) =>
    z.string({ error: 'is required' }).refine(
      (v) => {
        try {
          return schemes.includes(new URL(v).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { error: `must be a URL with scheme ${schemes.join(' or ')}` },
    ),

  /** One of a fixed set of values, compared without case. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T) =>
    z
      .string({ error: 'is required' })
      .trim()
      .toLowerCase()
      .pipe(z.enum(values, { error: `must be one of ${values.join(', ')}` })),

  /**
   * A JSON document (a map, a list) checked against a schema. A parse error reports the position only: the
   * parser's own message quotes the input, and the input may be a secret.
   */
  json: <T extends z.ZodType>(schema: T, expected: string) =>
    z
      .string({ error: 'is required' })
      .transform((v, ctx): unknown => {
        try {
          return JSON.parse(v);
        } catch (error) {
          const position = /position (\d+)/.exec(String(error))?.[1];
          ctx.addIssue({
            code: 'custom',
            message: `is not valid JSON${position ? ` (syntax error at position ${position})` : ''}; expected ${expected}`,
          });
          return z.NEVER;
        }
      })
      .pipe(
        z.unknown().superRefine((value, ctx) => {
          if (!schema.safeParse(value).success) {
            ctx.addIssue({ code: 'custom', message: `must be ${expected}` });
          }
        }),
      )
      .transform((value) => schema.parse(value) as z.output<T>),
};

/** pino's levels; also accepts the Python names (WARNING, CRITICAL) the seed services used. */
export const logLevel = () =>
  z
    .string({ error: 'is required' })
    .trim()
    .toLowerCase()
    .transform((v) => ({ warning: 'warn', critical: 'fatal' })[v] ?? v)
    .pipe(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'must be one of fatal, error, warn, info, debug, trace, silent',
      }),
    );
