import { ExecuteErrorCode, ExecuteException } from './execute.exception';
import { isPathAllowed, normalisePlatformPath } from './platform-path';

function refusal(path: string): string {
  try {
    normalisePlatformPath(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ExecuteException);
    expect((error as ExecuteException).code).toBe(ExecuteErrorCode.PATH_REJECTED);
    return (error as Error).message;
  }
  throw new Error(`expected ${path} to be refused`);
}

describe('normalisePlatformPath', () => {
  it.each([
    ['/api/v1/iks', '/api/v1/iks'],
    ['/', '/'],
    ['/api/v1/iks/', '/api/v1/iks/'],
    ['/api//v1///iks', '/api/v1/iks'],
    ['/./api/./v1/.', '/api/v1/'],
    ['/ap%69/v1', '/api/v1'],
    ['/files/a%2bb%3a', '/files/a%2Bb%3A'],
    ['/items/my item', '/items/my%20item'],
    ['/items/café', '/items/caf%C3%A9'],
    ['/items/caf%C3%A9', '/items/caf%C3%A9'],
    [
      "/v1/projects/-/serviceAccounts/a@b.c:generateAccessToken;v=1,x=(y)!*'$&+=",
      "/v1/projects/-/serviceAccounts/a@b.c:generateAccessToken;v=1,x=(y)!*'$&+=",
    ],
    ['/items/a<b>"{}|^`', '/items/a%3Cb%3E%22%7B%7D%7C%5E%60'],
    ['/...', '/...'],
  ])('normalises %s to %s', (input, expected) => {
    expect(normalisePlatformPath(input)).toBe(expected);
  });

  it.each([
    ['/../etc/passwd', 'must not contain ".." segments'],
    ['/api/../admin', 'must not contain ".." segments'],
    ['/api/..', 'must not contain ".." segments'],
    ['/api/..;/admin', 'must not contain ".." segments'],
    ['/api/..%3Bx/admin', 'must not contain ".." segments'],
    ['/api/.;x/admin', 'must not contain "." segments with ";" parameters'],
    ['/api/%2e%2e/admin', 'must not contain the encoded character %2E'],
    ['/api/%2E%2e/admin', 'must not contain the encoded character %2E'],
    ['/api/.%2e/admin', 'must not contain the encoded character %2E'],
    ['/api%2f..%2fadmin', 'must not contain the encoded character %2F'],
    ['/api/%2F/admin', 'must not contain the encoded character %2F'],
    ['/api/%5c../admin', 'must not contain the encoded character %5C'],
    ['/api/%252e%252e/admin', 'must not contain the encoded character %25 (an encoded escape)'],
    ['/api/%c0%ae%c0%ae/admin', 'has percent-encoded bytes that are not valid UTF-8'],
    ['/api/%e0%80%ae/admin', 'has percent-encoded bytes that are not valid UTF-8'],
    ['/api/%zz', 'has a malformed percent-encoding'],
    ['/api/%4', 'has a malformed percent-encoding'],
    ['/api/%00', 'must not contain encoded control characters'],
    ['/api/\u0000x', 'must not contain control characters'],
    ['/api/line\nbreak', 'must not contain control characters'],
    ['/api\\..\\admin', 'must not contain a backslash'],
    ['\\\\evil.example\\x', 'must not contain a backslash'],
    ['http://evil.example/x', 'not a URL with a scheme'],
    ['HTTPS://evil.example/x', 'not a URL with a scheme'],
    ['javascript:alert(1)', 'not a URL with a scheme'],
    ['file:///etc/passwd', 'not a URL with a scheme'],
    ['//evil.example/x', 'must not start with "//"'],
    ['api/v1', 'must start with "/"'],
    ['../api', 'must start with "/"'],
    ['', 'must not be empty'],
    ['/api?admin=true', 'must not contain "?" or "#"'],
    ['/api#frag', 'must not contain "?" or "#"'],
    ['/api/\ud800', 'contains a character that is not valid Unicode'],
  ])('refuses %j', (input, reason) => {
    expect(refusal(input)).toContain(reason);
  });
});

describe('isPathAllowed', () => {
  const prefixes = ['/v1/iks', '/v1/clusters/'];

  it('allows everything when no prefix is configured', () => {
    expect(isPathAllowed('/anything/at/all', [])).toBe(true);
  });

  it('matches whole segments, not string prefixes', () => {
    expect(isPathAllowed('/v1/iks', prefixes)).toBe(true);
    expect(isPathAllowed('/v1/iks/c-1', prefixes)).toBe(true);
    expect(isPathAllowed('/v1/iks-admin', prefixes)).toBe(false);
    expect(isPathAllowed('/v1/clusters/c-1', prefixes)).toBe(true);
    expect(isPathAllowed('/v1/clusters', prefixes)).toBe(false);
    expect(isPathAllowed('/v1/admin', prefixes)).toBe(false);
    expect(isPathAllowed('/V1/iks', prefixes)).toBe(false);
  });

  it('sees through encodings of unreserved characters once normalised', () => {
    expect(isPathAllowed(normalisePlatformPath('/v1/%69ks/c-1'), prefixes)).toBe(true);
    expect(isPathAllowed(normalisePlatformPath('/v1//iks/./c-1'), prefixes)).toBe(true);
  });
});
