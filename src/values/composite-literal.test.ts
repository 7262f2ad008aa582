import fc from 'fast-check';
import type { CompositeAttribute, ResolvedType } from '../types/resolved-type';
import { CompositeFieldsError, parseRowLiteral, RowLiteralError } from './composite-literal';
import { GrowableSink } from './byte-sink';
import { converterFor } from './converter';
import { RowBodyEncoder } from './row-body-encoder';
import { copyEscape, resolved } from './testing/conversion-cases';
import { DEFAULT_VALUE_POLICY, type ValuePolicy } from './value-policy';
import { ValueConversionError } from './value-conversion-error';

// [what, record_out's text, field count, fields]
const PARSED: readonly [string, string, number, (string | null)[]][] = [
  ['plain fields', '(1,abc,2.50)', 3, ['1', 'abc', '2.50']],
  ['NULL is an empty unquoted field', '(1,,3)', 3, ['1', null, '3']],
  ["'' is an empty quoted field", '(1,"",3)', 3, ['1', '', '3']],
  ['all NULL', '(,,)', 3, [null, null, null]],
  ['one NULL field', '()', 1, [null]],
  ['no fields', '()', 0, []],
  ['a doubled quote', '("say ""hi""")', 1, ['say "hi"']],
  ['a doubled backslash', '("a\\\\b")', 1, ['a\\b']],
  ['commas and parentheses inside quotes', '("a,b","(c)",")")', 3, ['a,b', '(c)', ')']],
  ['white space is quoted', '(" x ","a\tb")', 2, [' x ', 'a\tb']],
  ['unicode as is', '(ü,"日本 語",😀)', 3, ['ü', '日本 語', '😀']],
  ['NULL spelled out is text', '(NULL,null)', 2, ['NULL', 'null']],
  ['a nested composite', '(1,"(2,""x y"")")', 2, ['1', '(2,"x y")']],
  [
    'a nested composite in a nested composite',
    '("(""(1,""""a b"""")"",2)")',
    1,
    ['("(1,""a b"")",2)'],
  ],
  ['an array inside', '("{1,2,3}","{""a b"",NULL}")', 2, ['{1,2,3}', '{"a b",NULL}']],
  ['an unquoted array of one element', '({1})', 1, ['{1}']],
  ['a point inside', '(a,"(1,2)")', 2, ['a', '(1,2)']],
  // record_in's looser input
  ['a backslash outside quotes', '(a\\,b)', 1, ['a,b']],
  ['a backslash-escaped quote inside quotes', '("a\\"b")', 1, ['a"b']],
  ['quoted and unquoted parts in one field', '(a"b,c"d)', 1, ['ab,cd']],
];

describe('parseRowLiteral', () => {
  it.each(PARSED)('%s: %s', (_what, text, n, fields) => {
    expect(parseRowLiteral(text, n)).toEqual(fields);
  });

  it.each([
    ['no parenthesis', '1,2'],
    ['empty text', ''],
    ['unterminated', '(1,2'],
    ['unterminated quote', '(1,"2)'],
    ['text after the row', '(1,2)x'],
    ['a lone backslash', '(1\\'],
    ['fields for a type of none', '(1)'],
  ])('%s is not a row literal', (_what, text) => {
    expect(() => parseRowLiteral(text, text === '(1)' ? 0 : 2)).toThrow(RowLiteralError);
  });

  /** record_out's quoting, for the generated round trip (the integration test uses the server). */
  const quote = (v: string | null): string => {
    if (v === null) return '';
    if (v !== '' && !/["\\(),\s]/.test(v)) return v;
    return `"${v.replace(/(["\\])/g, '$1$1')}"`;
  };

  it('reads back any fields record_out-style quoting prints', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string({ unit: 'binary' }), { nil: null }), {
          minLength: 1,
          maxLength: 6,
        }),
        (fields) => {
          const text = `(${fields.map(quote).join(',')})`;
          expect(parseRowLiteral(text, fields.length)).toEqual(fields);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** A composite named `name` of the given attributes. */
function composite(
  name: string,
  attributes: [string, ResolvedType][],
  arrayDims = 0,
): ResolvedType {
  const attrs: CompositeAttribute[] = attributes.map(([n, type]) => ({ name: n, type }));
  return {
    sqlType: name + '[]'.repeat(arrayDims),
    base: { name, schema: 'public', typtype: 'c', category: 'C', attributes: attrs },
    arrayDims,
    domains: [],
  };
}

const OBJECTS: ValuePolicy = { ...DEFAULT_VALUE_POLICY, compositeAsObject: true };

const ADDRESS = composite('address', [
  ['street', resolved('text')],
  ['zip', resolved('int4')],
  ['geo', resolved('point')],
]);
const SHIPMENT = composite('shipment', [
  ['price', resolved('numeric')],
  ['at', resolved('timestamptz')],
  ['to', ADDRESS],
  ['tags', resolved('text[]')],
  ['raw', resolved('bytea')],
  ['doc', resolved('jsonb')],
]);

// [what, type, text, JSON fragment with the setting on]
const CONVERTED: readonly [string, ResolvedType, string | null, string][] = [
  [
    'attributes by name, each as its type',
    ADDRESS,
    '("1 Main St",12345,"(1,2)")',
    '{"street":"1 Main St","zip":12345,"geo":"(1,2)"}',
  ],
  ['NULL attributes', ADDRESS, '(,,)', '{"street":null,"zip":null,"geo":null}'],
  ["'' is no NULL", ADDRESS, '("",,)', '{"street":"","zip":null,"geo":null}'],
  ['a NULL composite', ADDRESS, null, 'null'],
  [
    'nested composites, arrays, exact numerics, RFC 3339, bytea and json inside',
    SHIPMENT,
    '(12345678901234567890.10,"2024-01-02 03:04:05.5+00","(""a \\\\\\\\ b"",1,)","{x,""y z""}","\\\\xdeadbeef","{""k"": [1, 2.50]}")',
    '{"price":12345678901234567890.10,"at":"2024-01-02T03:04:05.5+00:00","to":{"street":"a \\\\ b","zip":1,"geo":null},"tags":["x","y z"],"raw":"deadbeef","doc":{"k":[1,2.50]}}',
  ],
  [
    'an array of composites',
    composite(
      'address',
      ADDRESS.base.attributes!.map((a) => [a.name, a.type]),
      1,
    ),
    '{"(a,1,)",NULL,"(\\"b c\\",,\\"(0,0)\\")"}',
    '[{"street":"a","zip":1,"geo":null},null,{"street":"b c","zip":null,"geo":"(0,0)"}]',
  ],
  ['no attributes', composite('empty', []), '()', '{}'],
];

describe('composite values', () => {
  it.each(CONVERTED)('%s', (_what, type, text, fragment) => {
    expect(converterFor(type, OBJECTS)(text)).toBe(fragment);
  });

  it.each(CONVERTED)('without the setting, %s is its text', (_what, type, text) => {
    const out = converterFor(type, DEFAULT_VALUE_POLICY)(text);
    if (type.arrayDims === 0) expect(out).toBe(text === null ? 'null' : JSON.stringify(text));
    else expect(out.startsWith('[')).toBe(true);
  });

  it('a value with more or fewer fields than the type has attributes fails, naming the column type', () => {
    expect(() => converterFor(ADDRESS, OBJECTS)('(a,1,"(0,0)",extra)')).toThrow(
      ValueConversionError,
    );
    // Fewer: after ADD ATTRIBUTE the last is missing, after DROP ATTRIBUTE any one: never guessed.
    expect(() => converterFor(ADDRESS, OBJECTS)('(x,1)')).toThrow(CompositeFieldsError);
    expect(() => converterFor(ADDRESS, OBJECTS)('a,1')).toThrow(/address/);
  });

  it('reports what JSON cannot carry inside a composite, as for the column', () => {
    const seen: string[] = [];
    const type = composite('m', [['n', resolved('numeric')]]);
    expect(converterFor(type, OBJECTS, (t) => seen.push(t))('(NaN)')).toBe('{"n":null}');
    expect(seen).toEqual(['NaN']);
  });
});

describe('composite values through the byte-level encoder', () => {
  it.each(CONVERTED.filter(([, , text]) => text !== null))(
    '%s: as the text converter, from COPY text and from raw text',
    (_what, type, text, fragment) => {
      for (const escaping of ['copy', 'raw'] as const) {
        const bytes = Buffer.from(escaping === 'copy' ? copyEscape(text!) : text!);
        const encoder = new RowBodyEncoder([{ name: 'c', type }], escaping, OBJECTS);
        const sink = new GrowableSink(1);
        encoder.write(sink, bytes, {
          starts: Int32Array.of(0),
          ends: Int32Array.of(bytes.length),
        });
        expect(sink.text()).toBe(`"c":${fragment}`);
      }
    },
  );
});
