/** Conversion cases shared by the text converters' tests and their byte-level twins'. */
import type { ResolvedType, TypType } from '../../types/resolved-type';

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

/** (type, server text under the pinned session settings, expected JSON fragment). */
export const CONVERSION_ROWS: readonly (readonly [string, string, string])[] = [
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

/** Dates and timestamps JSON cannot carry: (type, text, nearer bound). */
export const OUT_OF_RANGE: readonly (readonly [
  spec: string,
  text: string,
  direction: 'high' | 'low',
])[] = [
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

/** The type of a key-property column (see `ResolvedType.keyColumn`). */
export function keyColumn(spec: string): ResolvedType {
  return { ...resolved(spec), keyColumn: true };
}

/**
 * Values of key columns that JSON cannot carry as themselves: (type, text, JSON fragment), the
 * same under every `temporal_out_of_range`, so distinct keys stay distinct and never null.
 */
export const KEY_TEXTS: readonly (readonly [string, string, string])[] = [
  ['numeric', 'NaN', '"NaN"'],
  ['numeric', 'Infinity', '"Infinity"'],
  ['numeric', '-Infinity', '"-Infinity"'],
  ['float8', 'NaN', '"NaN"'],
  ['float4', '-Infinity', '"-Infinity"'],
  ...OUT_OF_RANGE.map(([spec, text]) => [spec, text, JSON.stringify(text)] as const),
  // Representable values of a key column are what any other column gives.
  ['numeric', '-0.00100', '-0.00100'],
  ['timestamptz', '2024-01-02 03:04:05.5+00', '"2024-01-02T03:04:05.5+00:00"'],
  ['date', '2024-01-02', '"2024-01-02"'],
];

/** Texts that are not their declared type's output: each throws ValueConversionError. */
export const NOT_THE_TYPE: readonly (readonly [string, string])[] = [
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
];

/** What COPY TO writes for a field's text (PostgreSQL's CopyAttributeOutText, tab delimiter). */
export function copyEscape(v: string): string {
  const map: Record<string, string> = {
    '\\': '\\\\',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
  };
  return v.replace(/[\\\b\f\n\r\t\v]/g, (c) => map[c]!);
}
