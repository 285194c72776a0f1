import { headersProblem, queryProblem } from './execute.dto';
import { ExecuteException } from './execute.exception';
import { decodeResponseBody, encodeRequestBody, queryString } from './platform-payload';

describe('request payload', () => {
  it('sends a JSON value as JSON and sets the content-type when the caller gave none', () => {
    const headers: Record<string, string> = {};
    expect(encodeRequestBody('POST', { name: 'c-1', nodes: [1, 2] }, headers)).toBe(
      '{"name":"c-1","nodes":[1,2]}',
    );
    expect(headers['content-type']).toBe('application/json');
    expect(encodeRequestBody('PUT', 'text', {})).toBe('"text"');
    expect(encodeRequestBody('PATCH', false, {})).toBe('false');
  });

  it('sends a string as it is under a non-JSON content-type', () => {
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(encodeRequestBody('POST', 'a=1&b=2', headers)).toBe('a=1&b=2');
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('treats a missing or null body as none, and refuses a body with GET or HEAD', () => {
    expect(encodeRequestBody('DELETE', undefined, {})).toBeUndefined();
    expect(encodeRequestBody('POST', null, {})).toBeUndefined();
    expect(() => encodeRequestBody('GET', { a: 1 }, {})).toThrow(
      new ExecuteException(expect.anything(), 'body is not allowed with GET'),
    );
    expect(() => encodeRequestBody('HEAD', 'x', {})).toThrow('body is not allowed with HEAD');
  });

  it('encodes the query, repeating a parameter for a list', () => {
    expect(queryString({ region: 'eu west', limit: 10, all: true, tag: ['a', 'b&c'] })).toBe(
      '?region=eu+west&limit=10&all=true&tag=a&tag=b%26c',
    );
    expect(queryString({})).toBe('');
    expect(queryString(undefined)).toBe('');
  });

  it('says what is wrong with a query or headers object', () => {
    expect(queryProblem({ a: 'x', b: [1, true] })).toBeUndefined();
    expect(queryProblem('a=1')).toBe('query must be an object of parameter name to value');
    expect(queryProblem({ a: { b: 1 } })).toBe('query.a must be a string, number, boolean or a list of them');
    expect(queryProblem({ a: [null] })).toBe('query.a must be a string, number, boolean or a list of them');
    expect(queryProblem({ a: Number.NaN })).toBe(
      'query.a must be a string, number, boolean or a list of them',
    );
    expect(headersProblem({ 'x-a': 'ok' })).toBeUndefined();
    expect(headersProblem([])).toBe('headers must be an object of header name to string value');
    expect(headersProblem({ 'bad name': 'x' })).toBe('headers has an invalid header name "bad name"');
    expect(headersProblem({ 'x-a': 1 })).toBe('headers.x-a must be a string');
    const unprintable =
      'headers.x-a must hold only printable Latin-1 characters (no line breaks or control characters)';
    expect(headersProblem({ 'x-a': 'a\r\nx-injected: 1' })).toBe(unprintable);
    expect(headersProblem({ 'x-a': 'price in €' })).toBe(unprintable);
    expect(headersProblem({ 'x-a': 'bell\u0007' })).toBe(unprintable);
    expect(headersProblem({ 'x-a': 'café\tok' })).toBeUndefined();
  });
});

describe('response payload', () => {
  const json = { 'content-type': 'application/json; charset=utf-8' };

  it('parses JSON, keeps other UTF-8 as text and returns binary as base64', () => {
    expect(decodeResponseBody(Buffer.from('{"id":"c-1"}'), json)).toEqual({ body: { id: 'c-1' } });
    expect(decodeResponseBody(Buffer.from('{"id":'), json)).toEqual({ body: '{"id":' });
    expect(decodeResponseBody(Buffer.from('[1]'), { 'content-type': 'application/problem+json' })).toEqual({
      body: [1],
    });
    expect(decodeResponseBody(Buffer.from('<ok/>'), { 'content-type': 'application/xml' })).toEqual({
      body: '<ok/>',
    });
    expect(decodeResponseBody(Buffer.from([0xff, 0x00, 0xfe]), {})).toEqual({
      body: '/wD+',
      body_encoding: 'base64',
    });
    expect(decodeResponseBody(Buffer.from('{"a":1}'), { ...json, 'content-encoding': 'gzip' })).toEqual({
      body: Buffer.from('{"a":1}').toString('base64'),
      body_encoding: 'base64',
    });
  });

  it('gives null for an empty body', () => {
    expect(decodeResponseBody(Buffer.alloc(0), json)).toEqual({ body: null });
  });
});
