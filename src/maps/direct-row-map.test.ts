import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { RuntimeError } from '../errors';
import { SingerWriter, type RecordSink } from '../singer/writer';
import type { ResolvedType } from '../types/resolved-type';
import { GrowableSink } from '../values/byte-sink';
import { NULL_FIELD, RowBodyEncoder, type FieldEscaping } from '../values/row-body-encoder';
import { copyEscape } from '../values/testing/conversion-cases';
import { Md5Lanes } from './digests/md5-lanes';
import { DirectRowMap, GENERAL, WRITTEN } from './direct-row-map';
import { RecordMapping, type Output } from './record-mapping';
import { RecordTransform } from './record-transform';
import type { Schema } from './schema-types';
import { parseStreamMapsConfig, planStream } from './stream-maps-config';
import { seededRandom } from './testing/seeded-random';

const type = (name: string): ResolvedType => ({
  sqlType: name,
  base: { name, schema: 'pg_catalog', typtype: 'b', category: 'U' },
  arrayDims: 0,
  domains: [],
});

const COLUMNS = [
  { name: 'id', type: type('int8') },
  { name: 'v', type: type('text') },
  { name: 'w', type: type('numeric') },
  { name: 't', type: type('timestamptz') },
  { name: 'b', type: type('bool') },
];

const SCHEMA: Schema = {
  type: 'object',
  properties: {
    id: { type: ['integer'] },
    v: { type: ['null', 'string'] },
    w: { type: ['null', 'number'] },
    t: { type: ['null', 'string'], format: 'date-time' },
    b: { type: ['null', 'boolean'] },
  },
};

const PREFIX = Buffer.from('{"type":"RECORD","stream":"s","record":{');
const SUFFIX = Buffer.from('},"version":7}\n');

/**
 * The Singer writer's way with room: asked for n bytes it does not have, it moves the unfinished
 * line to a new buffer of exactly what the line and the n bytes need, so a map writing past the
 * room it asked for loses bytes (or throws) instead of landing in spare capacity.
 */
class ExactLineSink implements RecordSink {
  buf = Buffer.alloc(0);
  pos = 0;
  lineStart = 0;
  /** Every line written, whole. */
  readonly lines: string[] = [];

  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const line = this.buf.subarray(this.lineStart, this.pos);
    this.buf = Buffer.alloc(line.length + bytes);
    line.copy(this.buf);
    this.pos = line.length;
    this.lineStart = 0;
  }

  recordEnd(): boolean {
    this.lines.push(this.buf.toString('utf8', this.lineStart, this.pos));
    return false;
  }

  appendLines(): boolean {
    throw new Error('not used');
  }
}

/** Characters beyond ASCII, of 2, 3 and 4 UTF-8 bytes. */
const WIDE = ['é', '€', '😀'];

const CHARS = ['a', 'Z', 'q', ' ', '@', '.', '7', '_', '\\', '"', '\t', '\n', ...WIDE, '\u0001'];

/** One generated row's texts, as PostgreSQL prints them (null: SQL NULL). */
function randomRow(r: () => number, id: number): Array<string | null> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const text = () => {
    if (r() < 0.1) return null;
    const n = pick([0, 1, 5, 13, 40, 55, 56, 80]);
    const k = r();
    // ASCII without escapes, other text without escapes (which forms still read as sent), any.
    const chars = k < 0.6 ? CHARS.slice(0, 8) : k < 0.8 ? CHARS.slice(0, 8).concat(WIDE) : CHARS;
    let s = '';
    for (let i = 0; i < n; i++) s += pick(chars);
    return s;
  };
  const digits = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      i === 0 ? 1 + Math.floor(r() * 9) : Math.floor(r() * 10),
    ).join('');
  const numeric = () => {
    const k = r();
    if (k < 0.1) return null;
    if (k < 0.15) return pick(['NaN', 'Infinity', '-Infinity', '0', '-0.00', '0.0']);
    const n = pick([1, 3, 9, 14, 15, 16, 20, 30]);
    const scale = pick([0, 0, 2, 6]);
    const d = digits(n);
    const whole = scale >= d.length ? '0' : d.slice(0, d.length - scale);
    return `${r() < 0.3 ? '-' : ''}${whole}${scale === 0 ? '' : `.${d.slice(-scale).padStart(scale, '0')}`}`;
  };
  const ts = () =>
    r() < 0.1
      ? null
      : pick([
          '2024-01-01 00:00:01+00',
          '1999-12-31 23:59:59.123456+00',
          'infinity',
          '0044-03-15 12:00:00+00 BC',
        ]);
  return [String(id), text(), numeric(), ts(), r() < 0.1 ? null : pick(['t', 'f'])];
}

/** The rows laid out as their source sends them, each with its fields' ranges. */
function layOut(rows: Array<Array<string | null>>, escaping: FieldEscaping) {
  const parts: Buffer[] = [];
  let at = 0;
  const ranges = rows.map((row) => {
    const starts = new Int32Array(row.length);
    const ends = new Int32Array(row.length);
    row.forEach((t, i) => {
      if (t === null) {
        starts[i] = NULL_FIELD;
        return;
      }
      const b = Buffer.from(escaping === 'copy' ? copyEscape(t) : t);
      parts.push(b, Buffer.from('\t'));
      starts[i] = at;
      ends[i] = at + b.length;
      at += b.length + 1;
    });
    return { starts, ends };
  });
  return { src: Buffer.concat(parts), ranges };
}

function planned(map: unknown) {
  const config = parseStreamMapsConfig({ s: map }, {})!;
  const { outputs } = planStream(config, {
    streamName: 's',
    schema: SCHEMA,
    keyProperties: ['id'],
  });
  return { map: outputs[0]!, mapConfig: config.mapConfig };
}

/** The map's one output, its transform with the byte forms on or off. */
function testOutput(mapDef: unknown, forms: boolean): Output {
  const { map, mapConfig } = planned(mapDef);
  return {
    alias: 's',
    steps: [new RecordTransform(map, mapConfig, forms)],
    scratch: [],
    views: [],
  };
}

/** The map's mapping of rows into one sink, with the byte forms on or off. */
function mappingOf(mapDef: unknown, forms: boolean) {
  const sink = new ExactLineSink();
  return {
    sink,
    mapping: new RecordMapping([testOutput(mapDef, forms)], [{ sink, prefix: PREFIX }]),
  };
}

/**
 * Each row's output line (or its error), mapped while encoded (the byte forms on, so the direct
 * path takes the rows it can) or through the general evaluation alone.
 */
function linesOf(
  mapDef: unknown,
  rows: Array<Array<string | null>>,
  escaping: FieldEscaping,
  forms: boolean,
): string[] {
  const { sink, mapping } = mappingOf(mapDef, forms);
  const encoder = new RowBodyEncoder(COLUMNS, escaping);
  const scratch = new GrowableSink(8);
  const { src, ranges } = layOut(rows, escaping);
  const out: string[] = [];
  for (const fields of ranges) {
    const before = sink.lines.length;
    try {
      mapping.mapRow(scratch, encoder, src, fields, undefined, SUFFIX);
      out.push(sink.lines.length === before ? '(left out)' : sink.lines[before]!);
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      out.push(`error: ${e.message}`);
    }
  }
  return out;
}

/** Maps whose every expression has a byte form (the direct path takes them). */
const DIRECT_MAPS: Array<Record<string, unknown>> = [
  {
    v_hash: 'md5(v)',
    v: 'v.upper()',
    cents: 'int(w * 100)',
    created_at: 't',
    t: null,
    __filter__: 'w >= 0',
  },
  { h: 'md5(v)', s: 'sha256(v)', l: 'v.lower()' },
  { i: 'int(w)', j: 'int(-7 * w)', __filter__: 'b' },
  // The point moved past, onto and short of the digits; negatives that truncate to zero.
  { m: 'int(w * 1000)', d: 'int(10 * w)', u: 'int(w * 1000000000)', __filter__: 'w < 0' },
  { __filter__: 'v is not None', v: null, w: null },
  { t2: 't', t: null, b2: 'b' },
  { id: 'id', h: 'md5(v)', __else__: null },
  { __filter__: '0 < w' },
  // An integer column read as a number and passed on (copied as sent).
  { k: 'int(id * 3)', __filter__: 'id > 400' },
  // Every byte from scratch or a form: the room asked for is exactly what is written.
  {
    __key_properties__: [],
    __else__: null,
    h: 'md5(v)',
    u: 'v.upper()',
    v2: 'v',
    __filter__: 'w >= 0',
  },
  // No copy encoded (whose room is ample): the text a form reads as sent has exactly its room.
  { __key_properties__: [], __else__: null, u: 'v.upper()', h: 'md5(v)' },
  // The same for a value copied from its JSON, which the filter had encoded first.
  { __key_properties__: [], __else__: null, v2: 'v', __filter__: 'v is not None' },
];

describe('a map applied while rows are encoded (DirectRowMap)', () => {
  const r = seededRandom(20261203);
  const rows = Array.from({ length: 800 }, (_, i) => randomRow(r, i + 1));

  it('takes the maps whose expressions all have byte forms, and no other', () => {
    const encoder = new RowBodyEncoder(COLUMNS, 'copy');
    for (const def of DIRECT_MAPS) {
      expect([def, DirectRowMap.of(planned(def).map, encoder, PREFIX)]).toEqual([
        def,
        expect.any(DirectRowMap),
      ]);
    }
    for (const def of [
      { s: 'str(id)' }, // no form
      { h: 'md5(v)', __filter__: 'len(v) > 3' }, // a filter without one
      { __else__: null, __key_properties__: [] }, // an empty record: the general path drops it
    ]) {
      expect([def, DirectRowMap.of(planned(def).map, encoder, PREFIX)]).toEqual([def, null]);
    }
    const deletion = new RowBodyEncoder(
      [...COLUMNS, { name: '_sdc_deleted_at', type: type('text') }],
      'raw',
    );
    expect(DirectRowMap.of(planned(DIRECT_MAPS[0]).map, deletion, PREFIX)).toBeNull();
  });

  for (const escaping of ['copy', 'raw'] as const) {
    it.each(DIRECT_MAPS.map((m) => [JSON.stringify(m), m]))(
      `writes what the general evaluation writes (${escaping}): %s`,
      (_, def) => {
        const write = jest.spyOn(DirectRowMap.prototype, 'write');
        try {
          const general = linesOf(def, rows, escaping, false);
          expect(write).not.toHaveBeenCalled();
          expect(linesOf(def, rows, escaping, true)).toEqual(general);
          // Most generated rows give a record, and the direct path wrote many of them itself
          // (not only handed them to the general path).
          expect(general.filter((l) => l.startsWith('{')).length).toBeGreaterThan(100);
          const written = write.mock.results.filter((r) => r.value === WRITTEN).length;
          expect(written).toBeGreaterThan(50);
        } finally {
          write.mockRestore();
        }
      },
    );
  }
});

describe('md5s made several at a time into the lines of a Singer writer (Md5Lanes)', () => {
  const r = seededRandom(20261204);
  const rows = Array.from({ length: 800 }, (_, i) => randomRow(r, i + 1));
  const withMd5 = DIRECT_MAPS.filter((m) => JSON.stringify(m).includes('md5('));

  /**
   * The records the writer writes, mapped with lanes: flushed whenever it is full (`flushes`), or
   * only at the end, its lines then spread over several buffers. Each write is copied as it is
   * made, as stdout copies it (a hole filled after its line was written would show).
   */
  async function writtenLines(def: unknown, escaping: FieldEscaping, flushes: boolean) {
    const lanes = Md5Lanes.create()!;
    const chunks: Buffer[] = [];
    const out = new Writable({
      write: (chunk: Buffer, _enc, done) => (chunks.push(Buffer.from(chunk)), done()),
    });
    const writer = new SingerWriter(out, JSON.stringify, { chunkBytes: 1000 });
    writer.addBarrier(lanes);
    const output = testOutput(def, true);
    const mapping = new RecordMapping([output], [{ sink: writer, prefix: PREFIX }], lanes);
    const encoder = new RowBodyEncoder(COLUMNS, escaping);
    const scratch = new GrowableSink(8);
    const { src, ranges } = layOut(rows, escaping);
    for (const fields of ranges) {
      try {
        const full = mapping.mapRow(scratch, encoder, src, fields, undefined, SUFFIX);
        if (full && flushes) await writer.flush();
      } catch (e) {
        // A row the general evaluation fails on (the run would stop here) writes nothing.
        if (!(e instanceof RuntimeError)) throw e;
      }
    }
    await writer.flush();
    return { lines: Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1), lanes };
  }

  for (const escaping of ['copy', 'raw'] as const) {
    for (const flushes of [true, false]) {
      it.each(withMd5.map((m) => [JSON.stringify(m), m]))(
        `writes what the general evaluation writes (${escaping}, ${flushes ? 'flushed when full' : 'flushed at the end'}): %s`,
        async (_, def) => {
          const general = linesOf(def, rows, escaping, false)
            .filter((l) => l.startsWith('{'))
            .map((l) => l.slice(0, -1));
          const { lines, lanes } = await writtenLines(def, escaping, flushes);
          expect(lines).toEqual(general);
          // The lanes made many of the digests (texts of up to 55 bytes the direct path took).
          expect(lanes.hashed).toBeGreaterThan(100);
        },
      );
    }
  }
});

describe('a column only forms read is read as sent', () => {
  /** The columns the encoder wrote while the row was mapped (by index). */
  function encodedColumns(def: unknown, row: Array<string | null>): number[] {
    const { sink, mapping } = mappingOf(def, true);
    const encoder = new RowBodyEncoder(COLUMNS, 'copy');
    const { src, ranges } = layOut([row], 'copy');
    const put = jest.spyOn(encoder, 'putValue');
    try {
      mapping.mapRow(new GrowableSink(8), encoder, src, ranges[0]!, undefined, SUFFIX);
      expect(sink.lines).toHaveLength(1);
      return [...new Set(put.mock.calls.map((c) => c[6]))].sort();
    } finally {
      put.mockRestore();
    }
  }
  const ROW = ['1', 'label 1', '12.50', '2024-01-01 00:00:01+00', 't'];

  it('a text by md5 and upper, a number by int and a comparison: neither encoded first', () => {
    // Only the columns the record passes on and no form reads (id, t, b) are encoded.
    expect(encodedColumns(DIRECT_MAPS[0], ROW)).toEqual([0, 3, 4]);
    expect(encodedColumns({ id: 'id', h: 'md5(v)', __else__: null }, ROW)).toEqual([0]);
  });

  it('a column read as sent and passed on is copied as sent, unless it needs its fast path', () => {
    // v (read by md5) and w (by int) keep their places: copied, not encoded again.
    expect(encodedColumns({ h: 'md5(v)', i: 'int(w)' }, ROW)).toEqual([0, 3, 4]);
    // id is an integer column: read by int(), passed on as it was sent.
    expect(encodedColumns({ k: 'int(id * 3)' }, ROW)).toEqual([1, 2, 3, 4]);
    // Never from PostgreSQL, but an integer column does not take a fraction: its error stays.
    expect(() => encodedColumns({ k: 'int(id * 3)' }, ['12.5', ...ROW.slice(1)])).toThrow(
      'int8 does not parse: "12.5"',
    );
    // A text beyond ASCII is valid UTF-8 (md5 checked) but goes through its fast path.
    expect(encodedColumns({ h: 'md5(v)' }, ['1', 'é', '1', null, null])).toEqual([0, 1, 2, 3, 4]);
  });

  it('a column a test reads as JSON (`is None`) is encoded first', () => {
    expect(encodedColumns({ __filter__: 'v is not None', __else__: null, id: 'id' }, ROW)).toEqual([
      0, 1,
    ]);
  });
});

describe('a text read as sent that is not valid UTF-8', () => {
  // A SQL_ASCII database sends its bytes unconverted; the general path reads them as UTF-8 with
  // U+FFFD for what is not, and hashes that.
  it.each([
    ['a lone byte 0xff', Buffer.from([0x61, 0xff, 0x62])],
    ['a cut 2-byte sequence', Buffer.from([0x61, 0xc3])],
  ])('%s goes the general way', (_, text) => {
    const fields = [Buffer.from('1'), text, Buffer.from('12.50')];
    const src = Buffer.concat(fields.flatMap((f) => [f, Buffer.from('\t')]));
    const starts = new Int32Array(COLUMNS.length).fill(NULL_FIELD);
    const ends = new Int32Array(COLUMNS.length);
    let at = 0;
    fields.forEach((f, i) => {
      starts[i] = at;
      ends[i] = at + f.length;
      at += f.length + 1;
    });
    const lineOf = (forms: boolean) => {
      const { sink, mapping } = mappingOf({ id: 'id', h: 'md5(v)', __else__: null }, forms);
      const encoder = new RowBodyEncoder(COLUMNS, 'copy');
      mapping.mapRow(new GrowableSink(8), encoder, src, { starts, ends }, undefined, SUFFIX);
      return sink.lines;
    };
    const write = jest.spyOn(DirectRowMap.prototype, 'write');
    try {
      const direct = lineOf(true);
      expect(write.mock.results.map((r) => r.value as number)).toEqual([GENERAL]);
      expect(direct).toEqual(lineOf(false));
      const decoded = text.toString('utf8');
      expect(direct[0]).toContain(createHash('md5').update(decoded).digest('hex'));
    } finally {
      write.mockRestore();
    }
  });
});
