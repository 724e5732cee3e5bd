import { createHash } from 'crypto';
import { shortDigest, TextCache } from '../src/_memo';

describe('TextCache', () => {
  test('produces each key once, and starts over when full', () => {
    // GIVEN a cache of two entries
    const cache = new TextCache<string>(2);
    const produced: string[] = [];
    const get = (key: string) => cache.get(key, () => {
      produced.push(key);
      return key.toUpperCase();
    });

    // WHEN keys are asked for again and again
    const values = ['a', 'b', 'a', 'b', 'c', 'a'].map(get);

    // THEN each value is right, produced once until the cache was full
    expect(values).toEqual(['A', 'B', 'A', 'B', 'C', 'A']);
    expect(produced).toEqual(['a', 'b', 'c', 'a']);
  });

  test('a producer that throws caches nothing', () => {
    // GIVEN a cache whose first producer throws
    const cache = new TextCache<string>();
    expect(() => cache.get('k', () => {
      throw new Error('bad input');
    })).toThrow('bad input');

    // THEN the key is produced again
    expect(cache.get('k', () => 'ok')).toEqual('ok');
  });
});

describe('shortDigest', () => {
  test('is the first 16 hex digits of the SHA-256 of the parts joined by NUL', () => {
    // GIVEN / WHEN / THEN (twice: the second answer comes from the cache)
    const expected = createHash('sha256').update('conf').update('\0').update('parsers').digest('hex').slice(0, 16);
    expect(shortDigest('conf', 'parsers')).toEqual(expected);
    expect(shortDigest('conf', 'parsers')).toEqual(expected);
    expect(shortDigest('conf')).toEqual(createHash('sha256').update('conf').digest('hex').slice(0, 16));
  });
});
