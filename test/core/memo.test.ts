import { TextCache } from '../../src/core/_memo';

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
