import fc from 'fast-check';
import { bodyEntries, scanBody, type BodyEntries } from '../maps/body-scanner';
import { GrowableSink } from './byte-sink';
import { recordBodyConverter, type ColumnToConvert } from './converter';
import { NULL_FIELD, RowBodyEncoder, type FieldEscaping } from './row-body-encoder';
import {
  CONVERSION_ROWS,
  copyEscape,
  KEY_TEXTS,
  keyColumn,
  NOT_THE_TYPE,
  OUT_OF_RANGE,
  resolved,
} from './testing/conversion-cases';
import { ValueConversionError } from './value-conversion-error';
import type { TemporalOutOfRangePolicy } from './value-policy';

/** One row of `texts` through the byte encoder, laid out in a buffer as its source would. */
function viaBytes(
  columns: readonly ColumnToConvert[],
  texts: readonly (string | Buffer | null)[],
  escaping: FieldEscaping,
  policy: TemporalOutOfRangePolicy = 'null',
  heard: string[] = [],
): string {
  const parts: Buffer[] = [Buffer.from('junk\t')];
  const starts = new Int32Array(texts.length);
  const ends = new Int32Array(texts.length);
  let at = 5;
  texts.forEach((t, i) => {
    if (t === null) {
      starts[i] = NULL_FIELD;
      return;
    }
    const bytes = Buffer.isBuffer(t) ? t : Buffer.from(escaping === 'copy' ? copyEscape(t) : t);
    parts.push(bytes, Buffer.from('\t'));
    starts[i] = at;
    ends[i] = at + bytes.length;
    at += bytes.length + 1;
  });
  const encoder = new RowBodyEncoder(
    columns,
    escaping,
    { temporalOutOfRange: policy, compositeAsObject: false },
    (c, t) => heard.push(`${c}=${t}`),
  );
  // A tiny sink: values must also come out right when they force it to grow.
  const sink = new GrowableSink(1);
  const src = Buffer.concat(parts);
  encoder.write(sink, src, { starts, ends });
  // The entries it reports while writing are those a scan of the body finds.
  const withEntries = new GrowableSink(1);
  const reported = bodyEntries();
  new RowBodyEncoder(columns, escaping, {
    temporalOutOfRange: policy,
    compositeAsObject: false,
  }).write(withEntries, src, { starts, ends }, reported);
  expect(withEntries.text()).toBe(sink.text());
  const scanned = bodyEntries();
  scanBody(withEntries.buf, 0, withEntries.pos, scanned);
  const live = (e: BodyEntries) => [
    e.n,
    ...[e.keyStarts, e.keyEnds, e.valueStarts, e.valueEnds].map((a) => a.slice(0, e.n)),
  ];
  expect(live(reported)).toEqual(live(scanned));
  return sink.text();
}

function viaText(
  columns: readonly ColumnToConvert[],
  texts: readonly (string | null)[],
  policy: TemporalOutOfRangePolicy = 'null',
  heard: string[] = [],
): string {
  return recordBodyConverter(
    columns,
    { temporalOutOfRange: policy, compositeAsObject: false },
    (c, t) => heard.push(`${c}=${t}`),
  )(texts);
}

const column = (spec: string): ColumnToConvert[] => [{ name: 'c', type: resolved(spec) }];

/** The byte path gives what the text converter gives, or throws where it throws. */
function expectSameAsText(spec: string, text: string, escaping: FieldEscaping): void {
  let expected: string;
  try {
    expected = viaText(column(spec), [text]);
  } catch {
    expect(() => viaBytes(column(spec), [text], escaping)).toThrow(ValueConversionError);
    return;
  }
  expect(viaBytes(column(spec), [text], escaping)).toBe(expected);
}

describe.each(['copy', 'raw'] as const)('RowBodyEncoder (%s texts)', (escaping) => {
  it.each(CONVERSION_ROWS)('%s %j → %s, as the text converter', (spec, text, expected) => {
    expect(viaBytes(column(spec), [text], escaping)).toBe(`"c":${expected}`);
  });

  it.each(OUT_OF_RANGE)('%s %j: every policy and report as the text converter', (spec, text) => {
    for (const policy of ['null', 'string', 'clamp'] as const) {
      const heardBytes: string[] = [];
      const heardText: string[] = [];
      expect(viaBytes(column(spec), [text], escaping, policy, heardBytes)).toBe(
        viaText(column(spec), [text], policy, heardText),
      );
      expect(heardBytes).toEqual(heardText);
      expect(heardBytes).toHaveLength(1);
    }
  });

  it.each(NOT_THE_TYPE)('%s %j throws ValueConversionError', (spec, text) => {
    expect(() => viaBytes(column(spec), [text], escaping)).toThrow(ValueConversionError);
  });

  it.each(KEY_TEXTS)('key column %s %j → %s, as the text converter', (spec, text, json) => {
    const key = [{ name: 'k', type: keyColumn(spec) }];
    for (const policy of ['null', 'string', 'clamp'] as const) {
      const heard: string[] = [];
      expect(viaBytes(key, [text], escaping, policy, heard)).toBe(`"k":${json}`);
      expect(viaText(key, [text], policy, heard)).toBe(`"k":${json}`);
      expect(heard).toEqual([]);
    }
  });

  it('writes NULL, keys and several columns as recordBodyConverter', () => {
    const columns: ColumnToConvert[] = [
      { name: 'id', type: resolved('int8') },
      { name: 'we"ird ü', type: resolved('text') },
      { name: 'at', type: resolved('timestamptz') },
      { name: 'tags', type: resolved('text[]') },
      { name: 'n', type: resolved('numeric') },
    ];
    const row = ['9223372036854775807', 'x\ty', '2024-01-02 03:04:05+00', null, 'NaN'];
    const heardBytes: string[] = [];
    const heardText: string[] = [];
    expect(viaBytes(columns, row, escaping, 'null', heardBytes)).toBe(
      viaText(columns, row, 'null', heardText),
    );
    expect(heardBytes).toEqual(['n=NaN']);
    expect(heardText).toEqual(heardBytes);
  });

  it('agrees with the text converter on any string, for every kind of column', () => {
    const specs = ['text', 'jsonb', 'int8', 'numeric', 'bool', 'date', 'timestamptz', 'bytea'];
    fc.assert(
      fc.property(fc.constantFrom(...specs), fc.string({ unit: 'binary' }), (spec, text) =>
        expectSameAsText(spec, text, escaping),
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees with the text converter on arrays of numbers, plain or not', () => {
    const token = fc.oneof(
      fc.bigInt().map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.constantFrom('NULL', 'NaN', 'Infinity', '007', '-0', '1.5e+30', '', ' 1', '"2"', '{3}'),
    );
    const literal = fc
      .tuple(fc.array(token, { maxLength: 6 }), fc.constantFrom('', '[0:1]=', '{'))
      .map(([xs, lead]) => `${lead}{${xs.join(',')}}`);
    fc.assert(
      fc.property(
        fc.constantFrom('int4[]', 'int8[]', 'numeric[]', 'float8[]'),
        literal,
        (spec, text) => expectSameAsText(spec, text, escaping),
      ),
      { numRuns: 2000 },
    );
  });

  it('replaces bytes that are not UTF-8 exactly as decoding them would', () => {
    const bad = [
      Buffer.from([0x61, 0xff, 0x62]),
      Buffer.from([0xc3]),
      Buffer.from([0xe0, 0x80, 0x80]), // overlong
      Buffer.from([0xed, 0xa0, 0x80]), // a surrogate
      Buffer.from([0xf4, 0x90, 0x80, 0x80]), // beyond U+10FFFF
      Buffer.from([0xf0, 0x9f, 0x98]), // truncated
    ];
    for (const bytes of bad) {
      const text = bytes.toString('utf8');
      expect(viaBytes(column('text'), [bytes], escaping)).toBe(viaText(column('text'), [text]));
      expect(
        viaBytes(
          column('jsonb'),
          [Buffer.concat([Buffer.from('"'), bytes, Buffer.from('"')])],
          escaping,
        ),
      ).toBe(viaText(column('jsonb'), [`"${text}"`]));
    }
  });
});
