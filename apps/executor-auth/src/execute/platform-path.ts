import { ExecuteErrorCode, ExecuteException } from './execute.exception';

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
/** RFC 3986 unreserved characters except '.', whose escape is refused rather than decoded. */
const UNRESERVED_NO_DOT = /^[A-Za-z0-9\-_~]$/;
/** What a path segment may hold as it is (RFC 3986 pchar without '%'); anything else is percent-encoded. */
const SEGMENT_CHARACTER = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
/** The common case, already in normal form: nothing to decode, encode or check for UTF-8. */
const PLAIN_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]*$/;
/** Escapes that change what a server sees as the path's structure: '.', '/', '\' and '%' itself (double encoding). */
const ESCAPE_BYTES = new Set([0x2e, 0x2f, 0x5c, 0x25]);
/** Servers such as Tomcat strip ';' parameters before resolving dot segments, so `..;x` acts as `..`. */
const PARAMETERS = /;|%3B/i;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const isControl = (code: number) => code < 0x20 || code === 0x7f;

function rejectPath(reason: string): never {
  throw new ExecuteException(ExecuteErrorCode.PATH_REJECTED, `path ${reason}`);
}

/** One segment in normal form: escapes of unreserved characters decoded, other escapes upper-cased, unsafe characters encoded. */
function normaliseSegment(segment: string): string {
  if (PLAIN_SEGMENT.test(segment)) return segment;
  let normal = '';
  const bytes: number[] = [];
  for (let i = 0; i < segment.length;) {
    if (segment[i] === '%') {
      const hex = segment.slice(i + 1, i + 3);
      if (!HEX_PAIR.test(hex))
        rejectPath('has a malformed percent-encoding (a "%" not followed by two hex digits)');
      const byte = Number.parseInt(hex, 16);
      const escape = `%${hex.toUpperCase()}`;
      if (ESCAPE_BYTES.has(byte))
        rejectPath(`must not contain the encoded character ${escape} (an encoded escape)`);
      if (isControl(byte)) rejectPath('must not contain encoded control characters');
      const character = String.fromCharCode(byte);
      normal += byte < 0x80 && UNRESERVED_NO_DOT.test(character) ? character : escape;
      bytes.push(byte);
      i += 3;
      continue;
    }
    const character = String.fromCodePoint(segment.codePointAt(i) ?? 0);
    if (SEGMENT_CHARACTER.test(character)) {
      normal += character;
    } else {
      try {
        normal += encodeURIComponent(character);
      } catch {
        rejectPath('contains a character that is not valid Unicode');
      }
    }
    bytes.push(...Buffer.from(character, 'utf8'));
    i += character.length;
  }
  try {
    utf8.decode(Uint8Array.from(bytes));
  } catch {
    // Overlong forms such as %C0%AE decode to '.' in some old servers.
    rejectPath('has percent-encoded bytes that are not valid UTF-8');
  }
  return normal;
}

/**
 * The caller's path in normal form, or an ExecuteException saying why it is refused. A path must stay under the
 * platform's API root: `..` segments, absolute URLs and schemes, backslashes, encoded escapes (%2e, %2f, %5c, %25),
 * invalid UTF-8 and a query or fragment are refused; `.` segments and repeated slashes are removed; escapes of
 * unreserved characters are decoded, so `/ap%69` is matched against allowed prefixes as `/api`.
 */
export function normalisePlatformPath(raw: string): string {
  if (raw === '') rejectPath('must not be empty');
  if (SCHEME.test(raw)) rejectPath('must be a path on the platform API, not a URL with a scheme');
  if (raw.startsWith('//')) rejectPath('must not start with "//" (that names another host)');
  if (raw.includes('\\')) rejectPath('must not contain a backslash');
  if (!raw.startsWith('/')) rejectPath('must start with "/"');
  if (raw.includes('?') || raw.includes('#'))
    rejectPath('must not contain "?" or "#": give query parameters in "query"');
  if ([...raw].some((character) => isControl(character.charCodeAt(0))))
    rejectPath('must not contain control characters');

  const segments = raw.slice(1).split('/');
  const normal: string[] = [];
  segments.forEach((rawSegment, index) => {
    const segment = normaliseSegment(rawSegment);
    const name = segment.split(PARAMETERS, 1)[0];
    if (name === '..') rejectPath('must not contain ".." segments');
    if (name === '.' && segment !== '.') rejectPath('must not contain "." segments with ";" parameters');
    const last = index === segments.length - 1;
    if (segment === '' || segment === '.') {
      if (last) normal.push('');
      return;
    }
    normal.push(segment);
  });
  return `/${normal.join('/')}`;
}

/** Whether a normalised path is under one of the prefixes (segment-wise: `/api` allows `/api/x`, not `/apix`). */
export function isPathAllowed(path: string, prefixes: readonly string[]): boolean {
  if (prefixes.length === 0) return true;
  return prefixes.some((prefix) =>
    prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix || path.startsWith(`${prefix}/`),
  );
}
