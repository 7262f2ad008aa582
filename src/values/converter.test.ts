import type { ResolvedType } from '../types/resolved-type';
import { converterFor, recordBodyConverter } from './converter';
import {
  CONVERSION_ROWS as ROWS,
  KEY_TEXTS,
  keyColumn,
  NOT_THE_TYPE,
  OUT_OF_RANGE,
  resolved,
} from './testing/conversion-cases';
import type { TemporalOutOfRangePolicy } from './value-policy';
import { ValueConversionError } from './value-conversion-error';
import { DEFAULT_VALUE_POLICY, TEMPORAL_OUT_OF_RANGE_POLICIES } from './value-policy';

function convert(spec: string, text: string | null, policy = DEFAULT_VALUE_POLICY): string {
  return converterFor(resolved(spec), policy)(text);
}

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
  const CLAMPED = {
    date: { high: '"9999-12-31"', low: '"0001-01-01"' },
    timestamp: { high: '"9999-12-31T23:59:59+00:00"', low: '"0001-01-01T00:00:00+00:00"' },
  } as const;

  function run(spec: string, text: string, policy: TemporalOutOfRangePolicy) {
    const heard: string[] = [];
    const fragment = converterFor(
      resolved(spec),
      { temporalOutOfRange: policy, compositeAsObject: false },
      (t) => heard.push(t),
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
    const convert = converterFor(resolved('date[]'), {
      temporalOutOfRange: 'string',
      compositeAsObject: false,
    });
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

describe('key columns', () => {
  it.each(KEY_TEXTS)('%s %j → %s under every policy, and nothing reported', (spec, text, json) => {
    for (const policy of TEMPORAL_OUT_OF_RANGE_POLICIES) {
      const heard: string[] = [];
      const convert = converterFor(
        keyColumn(spec),
        { temporalOutOfRange: policy, compositeAsObject: false },
        (t) => heard.push(t),
      );
      expect(convert(text)).toBe(json);
      expect(heard).toEqual([]);
    }
  });

  it('arrays are not keys: their elements follow the policy', () => {
    const type = { ...resolved('numeric[]'), keyColumn: true };
    expect(converterFor(type)('{1,NaN}')).toBe('[1,null]');
  });
});

describe('text that is not the declared type', () => {
  it.each(NOT_THE_TYPE)('%s %j throws ValueConversionError', (spec, text) => {
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
