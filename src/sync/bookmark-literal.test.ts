import { RawJson } from '../state/tap-state';
import { bookmarkLiteral, bookmarkText } from './bookmark-literal';

describe('bookmarkText', () => {
  it.each([
    ['no bookmark', undefined, null],
    ['a null bookmark', null, null],
    ['a JSON null fragment', new RawJson('null'), null],
    [
      'a string fragment: its text, not its JSON',
      new RawJson('"2024-01-02T03:04:05.123456+00:00"'),
      '2024-01-02T03:04:05.123456+00:00',
    ],
    [
      'a number fragment: every digit as printed',
      new RawJson('1234567890123456789012345678901234567890.5'),
      '1234567890123456789012345678901234567890.5',
    ],
    ['a bigint past 2^53', new RawJson('9007199254740993'), '9007199254740993'],
    ['a plain string', "it's", "it's"],
    ['a plain number', 42, '42'],
  ])('%s', (_name, value, expected) => {
    expect(bookmarkText(value)).toBe(expected);
  });
});

describe('bookmarkLiteral', () => {
  it.each([
    ['quotes are doubled', "o'neil''s", "'o''neil''''s'"],
    ['backslashes are doubled in an E string', 'a\\b', " E'a\\\\b'"],
    ['quotes and backslashes together', "\\'; DROP TABLE t; --", " E'\\\\''; DROP TABLE t; --'"],
    ['unicode passes unchanged', 'ünï ✓ 𝄞', "'ünï ✓ 𝄞'"],
    ['infinity stays PostgreSQL text', 'infinity', "'infinity'"],
  ])('%s', (_name, value, expected) => {
    expect(bookmarkLiteral(value)).toBe(expected);
  });

  it('has nothing for no bookmark', () => {
    expect(bookmarkLiteral(undefined)).toBeNull();
  });

  it('refuses a NUL byte, which no PostgreSQL text can hold', () => {
    expect(() => bookmarkLiteral('a\u0000b')).toThrow(/NUL/);
  });
});
