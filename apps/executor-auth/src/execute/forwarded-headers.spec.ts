import { ExecuteException } from './execute.exception';
import { forwardedRequestHeaders, returnedResponseHeaders } from './forwarded-headers';

describe('forwardedRequestHeaders', () => {
  it("drops the caller's Authorization and Host, hop-by-hop headers and Accept-Encoding, and lower-cases names", () => {
    const { headers, dropped } = forwardedRequestHeaders({
      Authorization: 'Bearer caller-token',
      'Proxy-Authorization': 'Basic x',
      Host: 'evil.example',
      Connection: 'close',
      'Keep-Alive': 'timeout=5',
      'Transfer-Encoding': 'chunked',
      Upgrade: 'websocket',
      TE: 'trailers',
      Expect: '100-continue',
      'Content-Length': '999',
      'Accept-Encoding': 'gzip',
      'X-Correlation-Id': 'c-1',
      'Content-Type': 'application/xml',
    });
    expect(headers).toEqual({ 'x-correlation-id': 'c-1', 'content-type': 'application/xml' });
    expect(dropped).toEqual([
      'authorization',
      'proxy-authorization',
      'host',
      'connection',
      'keep-alive',
      'transfer-encoding',
      'upgrade',
      'te',
      'expect',
      'content-length',
      'accept-encoding',
    ]);
  });

  it('refuses a header given twice under different cases', () => {
    expect(() => forwardedRequestHeaders({ 'X-A': '1', 'x-a': '2' })).toThrow(ExecuteException);
    expect(() => forwardedRequestHeaders({ 'X-A': '1', 'x-a': '2' })).toThrow(
      'headers has "x-a" more than once',
    );
  });

  it('accepts no headers at all', () => {
    expect(forwardedRequestHeaders(undefined)).toEqual({ headers: {}, dropped: [] });
  });
});

describe('returnedResponseHeaders', () => {
  it("removes hop-by-hop and authentication headers of the platform's response, and those Connection names", () => {
    expect(
      returnedResponseHeaders({
        'content-type': 'application/json',
        'content-length': '42',
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'x-hop': 'one connection only',
        'set-cookie': ['session=secret'],
        'www-authenticate': 'Bearer realm="platform"',
        'proxy-authenticate': 'Basic',
        authorization: 'Bearer leaked',
        'x-platform-trace': 't-1',
        vary: ['accept', 'origin'],
        absent: undefined,
      }),
    ).toEqual({ 'content-type': 'application/json', 'x-platform-trace': 't-1', vary: ['accept', 'origin'] });
  });
});
