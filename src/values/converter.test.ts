import type { ResolvedType, TypType } from '../types/resolved-type';
import { converterFor, recordBodyConverter } from './converter';
import type { TemporalOutOfRangePolicy } from './value-policy';
import { ValueConversionError } from './value-conversion-error';
import { DEFAULT_VALUE_POLICY } from './value-policy';

const EXTENSION_TYPES = new Set(['hstore', 'citext', 'ltree']);
const TYPTYPES: Readonly<Record<string, TypType>> = { enum: 'e', range: 'r', composite: 'c' };

/** `int4`, `int4[][]`, `enum:mood`, `composite:pair[]`: a type as discovery resolves it. */
export function resolved(spec: string): ResolvedType {
  let name = spec;
  let arrayDims = 0;
  while (name.endsWith('[]')) {
    arrayDims++;
    name = name.slice(0, -2);
  }
  let typtype: TypType = 'b';
  const colon = name.indexOf(':');
  if (colon > 0) {
    typtype = TYPTYPES[name.slice(0, colon)]!;
    name = name.slice(colon + 1);
  }
  const schema = typtype === 'b' && !EXTENSION_TYPES.has(name) ? 'pg_catalog' : 'public';
  return { sqlType: spec, base: { name, schema, typtype, category: 'U' }, arrayDims, domains: [] };
}

function convert(spec: string, text: string | null, policy = DEFAULT_VALUE_POLICY): string {
  return converterFor(resolved(spec), policy)(text);
}

/** (type, server text under the pinned session settings, expected JSON fragment). */
const ROWS: readonly (readonly [string, string, string])[] = [
  // integers: the digits as printed, int8 exact beyond 2^53
  ['int2', '32767', '32767'],
  ['int2', '-32768', '-32768'],
  ['int4', '0', '0'],
  ['int8', '9223372036854775807', '9223372036854775807'],
  ['int8', '-9223372036854775808', '-9223372036854775808'],
  ['int8', '9007199254740993', '9007199254740993'],
  ['oid', '4294967295', '4294967295'],
  // numeric: exactly as printed, trailing zeros kept
  ['numeric', '12345678901234567890.123456789', '12345678901234567890.123456789'],
  ['numeric', '-0.00100', '-0.00100'],
  ['numeric', '100000000000000000000', '100000000000000000000'],
  ['numeric', '0', '0'],
  ['numeric', 'NaN', 'null'],
  ['numeric', 'Infinity', 'null'],
  ['numeric', '-Infinity', 'null'],
  // floats: shortest-exact text (extra_float_digits=3); every printed form is a JSON number
  ['float8', '1.7976931348623157e+308', '1.7976931348623157e+308'],
  ['float8', '5e-324', '5e-324'],
  ['float8', '-0', '-0'],
  ['float8', '1e+30', '1e+30'],
  ['float8', '1.5e-07', '1.5e-07'],
  ['float8', '1.2345678901234568e+20', '1.2345678901234568e+20'],
  ['float8', '100000000000000', '100000000000000'],
  ['float8', '0.1', '0.1'],
  ['float4', '3.4028235e+38', '3.4028235e+38'],
  ['float8', 'NaN', 'null'],
  ['float8', 'Infinity', 'null'],
  ['float4', '-Infinity', 'null'],
  // booleans
  ['bool', 't', 'true'],
  ['bool', 'f', 'false'],
  // strings: escaped, nothing else changed
  ['text', 'plain', '"plain"'],
  ['text', '', '""'],
  ['text', 'say "hi" \\ back', '"say \\"hi\\" \\\\ back"'],
  ['text', 'line\nbreak\r\ttab\u0001\u001f', '"line\\nbreak\\r\\ttab\\u0001\\u001f"'],
  ['text', 'sep\u2028ok 😀 ü', '"sep\u2028ok 😀 ü"'],
  ['varchar', 'x', '"x"'],
  ['bpchar', 'ab  ', '"ab  "'],
  ['citext', 'MiXeD', '"MiXeD"'],
  ['name', 'pg_class', '"pg_class"'],
  ['char', 'x', '"x"'],
  ['uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"'],
  ['xml', '<a b="c"/>', '"<a b=\\"c\\"/>"'],
  ['inet', '1.2.3.4', '"1.2.3.4"'],
  ['cidr', '10.0.0.0/8', '"10.0.0.0/8"'],
  ['macaddr', '08:00:2b:01:02:03', '"08:00:2b:01:02:03"'],
  ['bit', '101', '"101"'],
  ['varbit', '1', '"1"'],
  ['tsvector', "'a':1 'b':2", "\"'a':1 'b':2\""],
  ['money', '$1,234.50', '"$1,234.50"'],
  ['pg_lsn', '0/16B6C50', '"0/16B6C50"'],
  ['point', '(1,2)', '"(1,2)"'],
  ['box', '(1,1),(0,0)', '"(1,1),(0,0)"'],
  ['regclass', 'pg_class', '"pg_class"'],
  ['xid', '748', '"748"'],
  ['ltree', 'a.b.c', '"a.b.c"'],
  ['enum:mood', 'happy', '"happy"'],
  ['enum:date', '2024', '"2024"'],
  ['range:int4range', '[1,5)', '"[1,5)"'],
  [
    'range:tstzrange',
    '["2024-01-01 00:00:00+00",infinity)',
    '"[\\"2024-01-01 00:00:00+00\\",infinity)"',
  ],
  ['composite:pair', '(1,"a b")', '"(1,\\"a b\\")"'],
  // bytea: the hex digits, without PostgreSQL's \x prefix
  ['bytea', '\\x00ff7f', '"00ff7f"'],
  ['bytea', '\\x', '""'],
  // json / jsonb: the document itself, minified outside strings, numbers untouched
  ['jsonb', '{"a": 1, "b": [1, 2], "c": {}}', '{"a":1,"b":[1,2],"c":{}}'],
  [
    'jsonb',
    '{"n": 123456789012345678901234567890, "f": 1.50e+400}',
    '{"n":123456789012345678901234567890,"f":1.50e+400}',
  ],
  [
    'jsonb',
    '{"s": "a {b} \\"c\\" , d\\n e: [f]", "t": "x\\\\"}',
    '{"s":"a {b} \\"c\\" , d\\n e: [f]","t":"x\\\\"}',
  ],
  ['json', '{\n\t"a" :\t1 ,\r\n  "b": [ 1 ,2 ]\n}\n', '{"a":1,"b":[1,2]}'],
  ['json', '{"k": "v", "k": "w"}', '{"k":"v","k":"w"}'],
  ['json', '  "x  y"  ', '"x  y"'],
  ['json', '[]', '[]'],
  ['jsonb', '5', '5'],
  ['jsonb', 'null', 'null'],
  ['jsonb', '"\\u00e9 \\ud83d\\ude00"', '"\\u00e9 \\ud83d\\ude00"'],
  // hstore: an object of strings
  [
    'hstore',
    '""=>"", "a"=>"b\\"c", "k"=>NULL, "x\\\\y"=>"NULL"',
    '{"":"","a":"b\\"c","k":null,"x\\\\y":"NULL"}',
  ],
  ['hstore', '"a b"=>"1, 2", "=>"=>"\\"=>\\""', '{"a b":"1, 2","=>":"\\"=>\\""}'],
  ['hstore', '"ü"=>"\nline"', '{"ü":"\\nline"}'],
  ['hstore', '', '{}'],
  ['hstore', 'a=>1,b=>NULL', '{"a":"1","b":null}'],
  // date and time of day
  ['date', '2024-01-02', '"2024-01-02"'],
  ['date', '0001-01-01', '"0001-01-01"'],
  ['date', '9999-12-31', '"9999-12-31"'],
  ['time', '03:04:05', '"03:04:05"'],
  ['time', '03:04:05.123456', '"03:04:05.123456"'],
  ['time', '24:00:00', '"24:00:00"'],
  ['timetz', '03:04:05.123+05:30', '"03:04:05.123+05:30"'],
  ['timetz', '03:04:05+05:53:28', '"03:04:05+05:53:28"'],
  ['timetz', '03:04:05-08', '"03:04:05-08"'],
  // timestamps: RFC 3339 in UTC, microseconds copied as text
  ['timestamp', '2024-01-02 03:04:05', '"2024-01-02T03:04:05+00:00"'],
  ['timestamp', '2024-01-02 03:04:05.123456', '"2024-01-02T03:04:05.123456+00:00"'],
  ['timestamp', '0001-01-01 00:00:00.5', '"0001-01-01T00:00:00.5+00:00"'],
  ['timestamptz', '2024-01-02 03:04:05.123456+00', '"2024-01-02T03:04:05.123456+00:00"'],
  ['timestamptz', '9999-12-31 23:59:59.999999+00', '"9999-12-31T23:59:59.999999+00:00"'],
  // a session that escaped the pinning: shifted to UTC, never passed on with its offset
  ['timestamptz', '2024-01-02 03:04:05.5+05:30', '"2024-01-01T21:34:05.5+00:00"'],
  ['timestamptz', '2024-12-31 23:00:00-05', '"2025-01-01T04:00:00+00:00"'],
  ['timestamptz', '1883-11-18 12:00:00+05:53:28', '"1883-11-18T06:06:32+00:00"'],
  ['timestamptz', '0050-01-01 00:30:00.000001+01', '"0049-12-31T23:30:00.000001+00:00"'],
  ['timestamptz', '2024-02-29 12:00:00+00:00', '"2024-02-29T12:00:00+00:00"'],
  // interval: ISO 8601 as printed
  ['interval', 'P1Y2M-3DT4H5M6.5S', '"P1Y2M-3DT4H5M6.5S"'],
  ['interval', 'PT0S', '"PT0S"'],
  ['interval', 'P-1M', '"P-1M"'],
  ['interval', 'infinity', '"infinity"'],
  // arrays of any dimension, each element through its own type's converter
  ['int4[]', '{1,NULL,3}', '[1,null,3]'],
  ['int4[]', '{}', '[]'],
  ['int4[][]', '{{1,2},{3,4}}', '[[1,2],[3,4]]'],
  ['int4[]', '[0:1]={1,2}', '[1,2]'],
  ['int4[]', '[1:1][0:1]={{1,2}}', '[[1,2]]'],
  ['int4[]', '{{{1}},{{2}}}', '[[[1]],[[2]]]'],
  ['int4[]', '{ 1 , 2 }', '[1,2]'],
  [
    'int8[]',
    '{9223372036854775807,-9223372036854775808}',
    '[9223372036854775807,-9223372036854775808]',
  ],
  [
    'text[]',
    '{"a\\"b","c\\\\d","e,f","{g}","NULL",NULL,""," h ","x y",plain}',
    '["a\\"b","c\\\\d","e,f","{g}","NULL",null,""," h ","x y","plain"]',
  ],
  ['text[]', '{null,NuLl,"null"}', '[null,null,"null"]'],
  ['text[]', '{a\\,b,c\\"d}', '["a,b","c\\"d"]'],
  ['text[]', '{"ü\\"",日本,"line\nbreak"}', '["ü\\"","日本","line\\nbreak"]'],
  ['text[][]', '{{a,b},{"}",NULL}}', '[["a","b"],["}",null]]'],
  [
    'numeric[]',
    '{1.5,NaN,12345678901234567890.123456789,-0.00100}',
    '[1.5,null,12345678901234567890.123456789,-0.00100]',
  ],
  ['float8[]', '{1.5,NaN,Infinity,-0,5e-324}', '[1.5,null,null,-0,5e-324]'],
  ['bool[]', '{t,f,NULL}', '[true,false,null]'],
  ['date[]', '{2024-01-02,NULL}', '["2024-01-02",null]'],
  ['timestamp[]', '{"2024-01-01 10:00:00.5"}', '["2024-01-01T10:00:00.5+00:00"]'],
  [
    'timestamptz[]',
    '{"2024-01-01 00:00:00+00",infinity,NULL}',
    '["2024-01-01T00:00:00+00:00",null,null]',
  ],
  ['time[]', '{12:00:00,"13:00:00.5"}', '["12:00:00","13:00:00.5"]'],
  ['interval[]', '{P1D,PT1H}', '["P1D","PT1H"]'],
  ['jsonb[]', '{"{\\"x\\": \\"q\\\\\\"r\\"}",NULL}', '[{"x":"q\\"r"},null]'],
  [
    'json[]',
    '{"{\\"a\\":1}","[1, 2]","{\\"n\\": 123456789012345678901234567890}"}',
    '[{"a":1},[1,2],{"n":123456789012345678901234567890}]',
  ],
  ['hstore[]', '{"\\"a\\"=>\\"b\\"",""}', '[{"a":"b"},{}]'],
  ['bytea[]', '{"\\\\x615c62","\\\\x"}', '["615c62",""]'],
  ['box[]', '{(1,1),(0,0);(3,3),(2,2)}', '["(1,1),(0,0)","(3,3),(2,2)"]'],
  ['composite:pair[]', '{"(1,\\"a b\\")",NULL}', '["(1,\\"a b\\")",null]'],
  ['range:int4range[]', '{"[1,5)",NULL,empty}', '["[1,5)",null,"empty"]'],
  ['enum:mood[]', '{happy,"so so"}', '["happy","so so"]'],
  ['uuid[]', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]'],
];

describe('converterFor', () => {
  it.each(ROWS)('%s %j → %s', (spec, text, expected) => {
    const fragment = convert(spec, text);
    expect(fragment).toBe(expected);
    // Every fragment is JSON text on one line.
    expect(() => JSON.parse(fragment) as unknown).not.toThrow();
    expect(fragment).not.toMatch(/[\n\r]/);
  });

  it.each(['int8', 'numeric', 'text', 'jsonb', 'hstore', 'timestamptz', 'int4[]', 'bytea'])(
    'emits null for SQL NULL (%s)',
    (spec) => {
      expect(convert(spec, null)).toBe('null');
    },
  );

  it('treats domains by their base type (discovery resolves them)', () => {
    const type: ResolvedType = {
      sqlType: 'positive_amount',
      base: { name: 'numeric', schema: 'pg_catalog', typtype: 'b', category: 'N' },
      arrayDims: 0,
      domains: ['positive_amount'],
    };
    expect(converterFor(type)('12.50')).toBe('12.50');
  });

  it('takes built-in names only from pg_catalog, extension types from any schema', () => {
    const lookalike: ResolvedType = {
      sqlType: 'myschema.int4',
      base: { name: 'int4', schema: 'myschema', typtype: 'b', category: 'U' },
      arrayDims: 0,
      domains: [],
    };
    expect(converterFor(lookalike)('0x10')).toBe('"0x10"');
    const hstore = resolved('hstore');
    expect(converterFor({ ...hstore, base: { ...hstore.base, schema: 'ext' } })('a=>b')).toBe(
      '{"a":"b"}',
    );
  });
});

describe('out-of-range dates and timestamps', () => {
  type Row = readonly [spec: string, text: string, direction: 'high' | 'low'];
  const OUT_OF_RANGE: readonly Row[] = [
    ['date', 'infinity', 'high'],
    ['date', '-infinity', 'low'],
    ['date', '0044-03-15 BC', 'low'],
    ['date', '12021-01-01', 'high'],
    ['timestamp', 'infinity', 'high'],
    ['timestamp', '-infinity', 'low'],
    ['timestamp', '2000-01-01 00:00:00 BC', 'low'],
    ['timestamp', '12021-01-01 01:02:03.5', 'high'],
    ['timestamptz', 'infinity', 'high'],
    ['timestamptz', '-infinity', 'low'],
    ['timestamptz', '2000-01-01 00:00:00+00 BC', 'low'],
    ['timestamptz', '294276-12-31 23:59:59.999999+00', 'high'],
    ['timestamptz', '10000-01-01 00:00:00+00', 'high'],
    // shifted out of range by a non-UTC offset
    ['timestamptz', '9999-12-31 23:00:00-05', 'high'],
    ['timestamptz', '0001-01-01 00:30:00+01', 'low'],
  ];
  const CLAMPED = {
    date: { high: '"9999-12-31"', low: '"0001-01-01"' },
    timestamp: { high: '"9999-12-31T23:59:59+00:00"', low: '"0001-01-01T00:00:00+00:00"' },
  } as const;

  function run(spec: string, text: string, policy: TemporalOutOfRangePolicy) {
    const heard: string[] = [];
    const fragment = converterFor(resolved(spec), { temporalOutOfRange: policy }, (t) =>
      heard.push(t),
    )(text);
    return { fragment, heard };
  }

  it.each(OUT_OF_RANGE)('%s %j: null by default, and reported', (spec, text) => {
    expect(DEFAULT_VALUE_POLICY.temporalOutOfRange).toBe('null');
    expect(run(spec, text, 'null')).toEqual({ fragment: 'null', heard: [text] });
  });

  it.each(OUT_OF_RANGE)("%s %j: the server's text under 'string'", (spec, text) => {
    expect(run(spec, text, 'string')).toEqual({ fragment: JSON.stringify(text), heard: [text] });
  });

  it.each(OUT_OF_RANGE)("%s %j: the nearest bound under 'clamp'", (spec, text, direction) => {
    const bounds = spec === 'date' ? CLAMPED.date : CLAMPED.timestamp;
    expect(run(spec, text, 'clamp')).toEqual({ fragment: bounds[direction], heard: [text] });
  });

  it('applies the policy to array elements', () => {
    const convert = converterFor(resolved('date[]'), { temporalOutOfRange: 'string' });
    expect(convert('{infinity,"0044-03-15 BC",2024-01-02}')).toBe(
      '["infinity","0044-03-15 BC","2024-01-02"]',
    );
  });

  it('does not report values it emits faithfully', () => {
    const heard: string[] = [];
    const listen = (t: string) => heard.push(t);
    converterFor(resolved('timestamptz'), DEFAULT_VALUE_POLICY, listen)('2024-01-02 03:04:05+00');
    converterFor(resolved('interval'), DEFAULT_VALUE_POLICY, listen)('infinity');
    converterFor(resolved('numeric'), DEFAULT_VALUE_POLICY, listen)('1.5');
    expect(heard).toEqual([]);
    converterFor(resolved('float8[]'), DEFAULT_VALUE_POLICY, listen)('{NaN,1,-Infinity}');
    expect(heard).toEqual(['NaN', '-Infinity']);
  });
});

describe('text that is not the declared type', () => {
  it.each([
    ['int4', 'abc'],
    ['int4', '1.5'],
    ['int4', ''],
    ['int8', '007'],
    ['int8', '+1'],
    ['numeric', '1,5'],
    ['numeric', '.5'],
    ['float8', 'inf'],
    ['float8', '1e'],
    ['bool', 'true'],
    ['date', '2024/01/02'],
    ['date', '01-02-2024'],
    ['timestamp', '2024-01-02T03:04:05'],
    ['timestamp', 'Tue Jan 02 03:04:05 2024'],
    ['timestamp', '2024-01-02 03:04:05.'],
    ['timestamptz', '2024-01-02 03:04:05 UTC'],
    ['timestamptz', '2024-01-02 03:04:05+5'],
    ['time', '3:04'],
    ['timetz', '03:04:05'],
    ['interval', '1 year 2 mons'],
    ['bytea', 'abc'],
    ['bytea', '\\x0g'],
    ['bytea', '\\x0'],
    ['int4[]', '{1,2'],
    ['int4[]', '1,2'],
    ['int4[]', '{1,x}'],
    ['int4[]', '{1,,2}'],
    ['int4[]', '{1}x'],
    ['text[]', '{"a}'],
    ['hstore', '"a"=>'],
    ['hstore', '"a" "b"'],
    ['hstore', '"a"=>"b" "c"=>"d"'],
  ])('%s %j throws ValueConversionError', (spec, text) => {
    expect(() => convert(spec, text)).toThrow(ValueConversionError);
    expect(() => convert(spec, text)).toThrow(spec);
  });

  it('quotes only a short excerpt of a long value', () => {
    const huge = `${'9'.repeat(5000)}x`;
    let error: unknown;
    try {
      converterFor({ ...resolved('numeric'), sqlType: 'numeric(12,2)' })(huge);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValueConversionError);
    const e = error as ValueConversionError;
    expect(e.sqlType).toBe('numeric(12,2)');
    expect(e.message.length).toBeLessThan(160);
    expect(e.message).toContain('(5001 chars)');
    expect(e.exitCode).toBe(1);
  });
});

describe('recordBodyConverter', () => {
  it('builds the record body with keys escaped once', () => {
    const body = recordBodyConverter([
      { name: 'id', type: resolved('int8') },
      { name: 'we"ird', type: resolved('text') },
      { name: 'at', type: resolved('timestamptz') },
      { name: 'tags', type: resolved('text[]') },
    ]);
    const text = body(['9223372036854775807', 'x', '2024-01-02 03:04:05+00', null]);
    expect(text).toBe(
      '"id":9223372036854775807,"we\\"ird":"x","at":"2024-01-02T03:04:05+00:00","tags":null',
    );
    expect(JSON.parse(`{${text}}`)).toMatchObject({ 'we"ird': 'x', tags: null });
  });

  it('names the column of an unrepresentable value', () => {
    const heard: string[] = [];
    const body = recordBodyConverter(
      [
        { name: 'a', type: resolved('numeric') },
        { name: 'b', type: resolved('date') },
      ],
      DEFAULT_VALUE_POLICY,
      (column, text) => heard.push(`${column}=${text}`),
    );
    expect(body(['NaN', 'infinity'])).toBe('"a":null,"b":null');
    expect(heard).toEqual(['a=NaN', 'b=infinity']);
  });

  it('refuses a row of the wrong width', () => {
    const body = recordBodyConverter([{ name: 'a', type: resolved('int4') }]);
    expect(() => body(['1', '2'])).toThrow(RangeError);
  });
});
