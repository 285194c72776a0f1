import { BadRequestException } from '@nestjs/common';
import { parseVerifyRequest } from './verify-request';

function messageOf(body: unknown): string {
  try {
    parseVerifyRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).message;
  }
  throw new Error('expected a 400');
}

describe('parseVerifyRequest', () => {
  it('accepts a key with optional scopes and client address', () => {
    expect(parseVerifyRequest({ key: 'k', required_scopes: ['a:b'], client_ip: '2001:db8::1' })).toEqual({
      key: 'k',
      requiredScopes: ['a:b'],
      clientIp: '2001:db8::1',
    });
    expect(parseVerifyRequest({ key: '' })).toEqual({ key: '', requiredScopes: undefined, clientIp: undefined });
  });

  it.each([
    [null, 'Request body must be a JSON object with a key'],
    [[{ key: 'k' }], 'Request body must be a JSON object with a key'],
    [{}, 'key must be a string'],
    [{ key: 42 }, 'key must be a string'],
    [{ key: 'x'.repeat(513) }, 'key must be at most 512 characters'],
    [{ key: 'k', required_scopes: 'a' }, 'required_scopes must be an array of at most 50 strings'],
    [{ key: 'k', required_scopes: ['a', 7] }, 'each value in required_scopes must be a string of 1-100 characters'],
    [{ key: 'k', client_ip: '300.1.1.1' }, 'client_ip must be an IPv4 or IPv6 address'],
    [{ key: 'k', api_key: 'k' }, 'property api_key should not exist'],
  ])('refuses %j: %s', (body, message) => {
    expect(messageOf(body)).toContain(message);
  });

  it('names every problem at once and never echoes the key', () => {
    const message = messageOf({ key: 12345, client_ip: 'nowhere', extra: true });
    expect(message).toBe('property extra should not exist; key must be a string; client_ip must be an IPv4 or IPv6 address');
  });
});
