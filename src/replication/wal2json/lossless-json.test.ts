import { JsonNumber, LosslessJsonError, parseLosslessJson } from './lossless-json';

describe('parseLosslessJson', () => {
  it.each([
    ['12345678901234567890.123456789'],
    ['9007199254740993'],
    ['-0.000000000000000000001'],
    ['1e400'],
    ['-1.5E-7'],
    ['0'],
  ])('keeps the number %s as its source text', (text) => {
    const v = parseLosslessJson(`{"value":${text}}`) as { value: JsonNumber };
    expect(v.value).toBeInstanceOf(JsonNumber);
    expect(v.value.text).toBe(text);
  });

  it('parses objects, arrays, strings and literals as JSON.parse does', () => {
    const doc =
      '{ "a" : [ true, false, null, "x\\"y\\\\z\\n\\u00e9\\ud83d\\udc18" ], "b": {}, "c": [], "é": "日本" }';
    expect(parseLosslessJson(doc)).toEqual(JSON.parse(doc));
  });

  it.each([['["\\\\"]'], ['["a\\\\\\"b", "\\\\\\\\"]'], ['"\\"\\""']])(
    'ends a string at the first quote not escaped: %s',
    (doc) => {
      expect(parseLosslessJson(doc)).toEqual(JSON.parse(doc));
    },
  );

  it('keeps a member named __proto__ as an ordinary key', () => {
    const v = parseLosslessJson('{"__proto__":"x"}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(v['__proto__']).toBe('x');
  });

  it.each([
    ['{"a":1,}'],
    ['{"a" 1}'],
    ['[1 2]'],
    ['"unterminated'],
    ['01'],
    ['{"a":1} x'],
    ['tru'],
    ['"a\tb"'],
    ['NaN'],
  ])('rejects %s', (text) => {
    expect(() => parseLosslessJson(text)).toThrow(LosslessJsonError);
  });
});
