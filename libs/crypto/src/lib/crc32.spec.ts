import { encodeBase62Fixed, randomBase62 } from './base62';
import { crc32 } from './crc32';

describe('crc32', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('matches other published values', () => {
    expect(crc32(Buffer.alloc(0))).toBe(0);
    expect(crc32(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(Buffer.from([0]))).toBe(0xd202ef8d);
  });
});

describe('base62', () => {
  it('pads to a fixed width with the zero character and encodes the largest CRC in 6 characters', () => {
    expect(encodeBase62Fixed(0, 6)).toBe('000000');
    expect(encodeBase62Fixed(61, 6)).toBe('00000z');
    expect(encodeBase62Fixed(62, 6)).toBe('000010');
    expect(encodeBase62Fixed(0xffffffff, 6)).toBe('4gfFC3');
  });

  it('redraws bytes 248-255 instead of folding them onto the first characters', () => {
    const draws = [Buffer.from([255, 248, 0, 61, 250, 62, 247, 123])];
    const text = randomBase62(5, () => draws.shift() ?? Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(text).toBe('0z0zz');
  });

  it('draws again when a batch of bytes is mostly rejected', () => {
    const draws = [Buffer.alloc(20, 255), Buffer.from([10, 11, 12])];
    expect(randomBase62(3, (size) => draws.shift() ?? Buffer.alloc(size, 0))).toBe('ABC');
  });
});
