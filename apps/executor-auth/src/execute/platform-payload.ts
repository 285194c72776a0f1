import type { ExecuteMethod, QueryValue } from './execute.dto';
import { ExecuteErrorCode, ExecuteException } from './execute.exception';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

/** `?a=1&b=x&b=y` from the caller's query object (a list repeats the parameter), or '' when there is none. */
export function queryString(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
  }
  const encoded = params.toString();
  return encoded === '' ? '' : `?${encoded}`;
}

/**
 * The request body as sent to the platform: JSON, unless the caller gave a string with a non-JSON content-type
 * (form data, XML, plain text), which is sent as it is. Sets content-type to JSON when the caller gave none.
 * A null body counts as no body.
 */
export function encodeRequestBody(
  method: ExecuteMethod,
  body: unknown,
  headers: Record<string, string>,
): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (method === 'GET' || method === 'HEAD') {
    throw new ExecuteException(ExecuteErrorCode.INVALID_REQUEST, `body is not allowed with ${method}`);
  }
  const contentType = headers['content-type'];
  if (typeof body === 'string' && contentType !== undefined && !isJsonMediaType(contentType)) return body;
  headers['content-type'] ??= 'application/json';
  return JSON.stringify(body);
}

export interface DecodedBody {
  readonly body: unknown;
  readonly body_encoding?: 'base64';
}

/** The platform's body for the caller: parsed JSON, else UTF-8 text, else base64; null when empty. */
export function decodeResponseBody(
  body: Buffer,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): DecodedBody {
  if (body.length === 0) return { body: null };
  const encoding = headers['content-encoding'];
  const compressed = encoding !== undefined && String(encoding).toLowerCase() !== 'identity';
  if (!compressed) {
    const contentType = headers['content-type'];
    if (isJsonMediaType(Array.isArray(contentType) ? contentType[0] : contentType)) {
      try {
        return { body: JSON.parse(body.toString('utf8')) as unknown };
      } catch {
        // A platform that labels invalid JSON as JSON: return the text as it came.
      }
    }
    try {
      return { body: utf8.decode(body) };
    } catch {
      // Not UTF-8: binary.
    }
  }
  return { body: body.toString('base64'), body_encoding: 'base64' };
}
