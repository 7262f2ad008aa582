import { parseExactJson } from './exact-json';
import { RawJson } from './raw-json';
import { serializeState } from './tap-state';

describe('parseExactJson', () => {
  it('keeps numbers a double cannot hold as their digits', () => {
    const doc = parseExactJson(
      '{"a":9223372036854775807,"b":-9007199254740993,"c":12345678901234567890.25,"d":0.1000000000000000055511}',
    ) as Record<string, unknown>;
    for (const k of ['a', 'b', 'c', 'd']) expect(doc[k]).toBeInstanceOf(RawJson);
    expect(serializeState(doc)).toBe(
      '{"a":9223372036854775807,"b":-9007199254740993,"c":12345678901234567890.25,"d":0.1000000000000000055511}',
    );
    expect(String(doc.a)).toBe('9223372036854775807');
  });

  it('returns plain numbers where a double is exact', () => {
    expect(parseExactJson('[1, -2, 1.5, 9007199254740991, 1e300, 0.000001]')).toEqual([
      1, -2, 1.5, 9007199254740991, 1e300, 0.000001,
    ]);
  });

  it('keeps __proto__ an ordinary key and refuses conflicting duplicate keys', () => {
    const doc = parseExactJson('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(Object.keys(doc)).toEqual(['__proto__']);
    expect(() => parseExactJson('{"a": 1, "a": 2}')).toThrow(/Duplicate key/);
    expect(() => parseExactJson('{"a":')).toThrow();
  });
});
