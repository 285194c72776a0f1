/** Characters a path prefix may hold as they are: RFC 3986 unreserved, sub-delims, ':' and '@' (no '%'). */
const PREFIX_CHARACTERS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]+$/;

/**
 * A path prefix in normal form, as API_EXECUTOR_ALLOWED_PATHS and a profile's allowed_paths hold them: starts with
 * '/', no empty, '.' or '..' segment (also not before a ';' parameter), no percent-encoding, query or fragment.
 * Callers' paths are normalised before they are matched, so a prefix that is not normal could never match.
 */
export function isNormalPathPrefix(prefix: string): boolean {
  if (prefix === '/') return true;
  if (!prefix.startsWith('/') || !PREFIX_CHARACTERS.test(prefix)) return false;
  // A trailing '/' leaves one empty last segment, which is allowed: '/api/' means "under /api/".
  const segments = (prefix.endsWith('/') ? prefix.slice(1, -1) : prefix.slice(1)).split('/');
  return segments.every((segment) => {
    const name = segment.split(';', 1)[0];
    return segment !== '' && name !== '.' && name !== '..';
  });
}

/** An http(s) URL without query, fragment or user info: the form of a login URL or a platform API root. */
export function platformUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.hash || value.includes('#')) return 'must not have a fragment';
  return undefined;
}

/** Like platformUrlProblem, and without a query: the platform root that callers' paths are appended to. */
export function baseUrlProblem(value: string): string | undefined {
  const problem = platformUrlProblem(value);
  if (problem) return problem;
  return new URL(value).search || value.includes('?') ? 'must not have a query' : undefined;
}

export function isLoopbackUrl(value: string): boolean {
  const host = new URL(value).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
