import { viewOf } from './byte-copy';
import { createHash } from 'node:crypto';
import { RuntimeError } from '../errors';
import { GrowableSink } from '../values/byte-sink';
import {
  byteFormOf,
  byteTestOf,
  FALSE,
  TEXT_ASCII,
  TEXT_UTF8,
  textKind,
  TRUE,
  UNKNOWN,
} from './byte-forms';
import { compileExpression } from './expression';
import { RecordTransform } from './record-transform';
import { RecordView } from './record-view';
import { parseStreamMapsConfig, planStream } from './stream-maps-config';
import type { StreamSource } from './stream-map';
import { seededRandom } from './testing/seeded-random';

/** `expr` with its names bound as a record `{"v": …, "w": …}` (entries 0 and 1) binds them. */
function bound(text: string) {
  const expr = compileExpression(text);
  const b = expr.scopeNames.map((n) => (n === 'v' ? 0 : n === 'w' ? 1 : -1));
  return { expr, b };
}

function formOf(text: string) {
  const { expr, b } = bound(text);
  return byteFormOf(expr, b);
}

function testOf(text: string) {
  const { expr, b } = bound(text);
  return byteTestOf(expr, b);
}

/** The form's JSON for one value's JSON, or null when it leaves the value to the general path. */
function formed(text: string, json: string | Buffer): string | null {
  const form = formOf(text)!;
  const b = typeof json === 'string' ? Buffer.from(json) : json;
  if (!form.takes(b, 0, b.length)) return null;
  const sink = new GrowableSink(4);
  form.write(sink, b, 0, b.length);
  // The record's writer makes room for this much before the form writes.
  expect(sink.pos).toBeLessThanOrEqual(form.maxBytes(b.length));
  return sink.text();
}

function tested(text: string, json: string): number {
  const b = Buffer.from(json);
  return testOf(text)!.test(b, 0, b.length);
}

const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('byte forms', () => {
  it('are found for the common expressions, on names bound to a record entry only', () => {
    for (const t of [
      'md5(v)',
      'sha256(w)',
      'v.upper()',
      'v.lower()',
      'int(v)',
      'int(v * 100)',
      'int(-3 * v)',
    ]) {
      expect([t, formOf(t)]).toEqual([t, expect.anything()]);
    }
    for (const t of [
      'md5(x)', // not in the record
      'md5(v, w)',
      'md5(config)',
      'v.upper(1)',
      'v.title()',
      'int(v * w)',
      'int(v * 1.5)',
      'int(v) * 100',
      'int(v, 16)',
      'str(v)',
      'md5(v + w)',
    ]) {
      expect([t, formOf(t)]).toEqual([t, null]);
    }
    for (const t of ['v', 'v >= 0', '0 < v', 'v == -5', 'v != 3', 'v is None', 'v is not None']) {
      expect([t, testOf(t)]).toEqual([t, expect.anything()]);
    }
    for (const t of ['not v', 'v >= 0.5', 'v > w', '0 < v < 9', "v == 'a'", 'v in [1]', 'x > 0']) {
      expect([t, testOf(t)]).toEqual([t, null]);
    }
  });

  it.each([
    ['md5(v)', '"a@x.org"', `"${md5('a@x.org')}"`],
    ['md5(v)', '""', `"${md5('')}"`],
    ['md5(v)', '"grüße 中"', `"${md5('grüße 中')}"`],
    ['md5(v)', `"${'x'.repeat(55)}"`, `"${md5('x'.repeat(55))}"`],
    ['md5(v)', `"${'x'.repeat(56)}"`, `"${md5('x'.repeat(56))}"`],
    ['md5(v)', `"${'é'.repeat(40)}"`, `"${md5('é'.repeat(40))}"`],
    ['sha256(v)', '"a@x.org"', `"${sha256('a@x.org')}"`],
    ['v.upper()', '"Label 12 ~z{"', '"LABEL 12 ~Z{"'],
    ['v.lower()', '"Label AZ@["', '"label az@["'],
    ['int(v)', '12', '12'],
    ['int(v)', '-0', '0'],
    ['int(v)', '12.99', '12'],
    ['int(v)', '-12.99', '-12'],
    ['int(v)', '-0.5', '0'],
    ['int(v * 100)', '123.456', '12345'],
    ['int(v * 100)', '-123.456', '-12345'],
    ['int(v * -100)', '-123.456', '12345'],
    ['int(-100 * v)', '123.456', '-12345'],
    ['int(v * 0)', '-5.5', '0'],
    ['int(v * 100)', '99999999999.99', '9999999999999'],
    ['int(v * 1000)', '1.000', '1000'],
  ])('%s of %s is %s', (text, json, out) => {
    expect(formed(text, json)).toBe(out);
  });

  it('upper() and lower() of a text as sent: every ASCII byte, at every length and offset', () => {
    const r = seededRandom(20261205);
    // The texts it is given: ASCII that a JSON string holds as it is (textKind TEXT_ASCII).
    const ascii = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).filter(
      (c) => c !== '"' && c !== '\\',
    );
    for (const [text, change] of [
      ['v.upper()', (s: string) => s.toUpperCase()],
      ['v.lower()', (s: string) => s.toLowerCase()],
    ] as const) {
      const form = formOf(text)!;
      for (let i = 0; i < 3000; i++) {
        const n = i < 40 ? i % 20 : Math.floor(r() * 40);
        let s = '';
        for (let k = 0; k < n; k++) s += ascii[Math.floor(r() * ascii.length)]!;
        // At an odd offset of a buffer with bytes around the text, into a sink at another one.
        const at = 1 + Math.floor(r() * 5);
        const buf = Buffer.from(`${'\t'.repeat(at)}${s}\t\t\t\t`);
        const sink = new GrowableSink(64);
        sink.pos = Math.floor(r() * 7);
        const before = sink.pos;
        form.writeText!(sink, buf, at, at + n);
        expect(sink.pos - before).toBe(form.maxTextBytes!(n));
        expect([text, s, sink.buf.toString('latin1', before, sink.pos)]).toEqual([
          text,
          s,
          `"${change(s)}"`,
        ]);
        // The same through putText, four bytes at a time, between bytes it must leave alone.
        const out = Buffer.alloc(64, 0xff);
        const end = form.putText!(viewOf(buf), buf, at, at + n, viewOf(out), out, before);
        expect(end - before).toBe(form.maxTextBytes!(n));
        expect([text, s, out.toString('latin1', before, end)]).toEqual([text, s, `"${change(s)}"`]);
        expect(out.subarray(0, before).every((b) => b === 0xff)).toBe(true);
        expect(out.subarray(end).every((b) => b === 0xff)).toBe(true);
      }
    }
  });

  it('textKind: every byte value at every place of texts up to 13 bytes, at two offsets', () => {
    // What the word-at-a-time scan must agree with: the bytes one by one.
    const reference = (b: Uint8Array) => {
      let beyond = false;
      for (const c of b) {
        if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x7f) return 0;
        if (c >= 0x80) beyond = true;
      }
      return beyond ? TEXT_UTF8 : TEXT_ASCII;
    };
    const base = Buffer.from('label 1234567');
    let checked = 0;
    const wrong: number[][] = [];
    for (let n = 0; n <= base.length; n++) {
      for (let at = 0; at < Math.max(n, 1); at++) {
        for (let c = 0; c < 256; c++) {
          for (const offset of [0, 3]) {
            const buf = Buffer.alloc(offset + n + 2, 0x22); // quotes around: outside the range
            base.copy(buf, offset, 0, n);
            if (n > 0) buf[offset + at] = c;
            const text = buf.subarray(offset, offset + n);
            const got = textKind(buf, viewOf(buf), offset, offset + n);
            if (got !== reference(text)) wrong.push([n, at, c, offset, got]);
            checked++;
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(40000);
  });

  it('int(v * k) truncates exactly, near every multiple and up to 2^53', () => {
    const r = seededRandom(20261204);
    let taken = 0;
    const MAX = BigInt(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 20000; i++) {
      const digits = 1 + Math.floor(r() * 15);
      let d = String(1 + Math.floor(r() * 9));
      // Runs of nines and zeros put the value next to a multiple of the scale's power of ten.
      const fill = r() < 0.5 ? (r() < 0.5 ? '9' : '0') : '';
      while (d.length < digits) d += fill || String(Math.floor(r() * 10));
      const scale = Math.floor(r() * (digits + 1));
      const json = `${r() < 0.3 ? '-' : ''}${scale === digits ? '0' : d.slice(0, digits - scale)}${scale ? `.${d.slice(digits - scale)}` : ''}`;
      const k = [1, 3, 7, 100, 1000, -100, 1000000][Math.floor(r() * 7)]!;
      const out = formed(`int(v * ${k})`, json);
      const m = BigInt(d) * BigInt(k) * (json.startsWith('-') ? -1n : 1n);
      // BigInt division truncates toward zero, as Python's int of a Decimal.
      const exact = m / 10n ** BigInt(scale);
      if (out === null) {
        // Refused only when the product passes 2^53, or the text has more than 15 digits.
        const many = json.replace(/[^0-9]/g, '').length > 15;
        expect([json, k, m > MAX || m < -MAX || many]).toEqual([json, k, true]);
        continue;
      }
      taken++;
      expect([json, k, out]).toEqual([json, k, String(exact)]);
    }
    expect(taken).toBeGreaterThan(15000);
  });

  it.each([
    ['md5(v)', '"a\\"b"'], // escaped: the general path decodes it
    ['md5(v)', '12'],
    ['md5(v)', 'null'],
    ['md5(v)', Buffer.from([0x22, 0x61, 0xff, 0x22])], // not UTF-8: decoding replaces the byte
    ['v.upper()', '"straße"'], // beyond ASCII: Unicode's own case rules
    ['v.upper()', '"a\\nb"'],
    ['int(v)', '1234567890123456'], // 16 digits
    ['int(v)', '1e5'],
    ['int(v)', '"12"'],
    ['int(v)', 'true'],
    ['int(v * 1000)', '9007199254740.99'], // the product passes 2^53
  ])('%s leaves %s to the general evaluation', (text, json) => {
    expect(formed(text, json)).toBeNull();
  });

  it.each([
    ['v >= 0', '0.00', TRUE],
    ['v >= 0', '-0.01', FALSE],
    ['v >= 0', '-0', TRUE],
    ['v > 5', '5.000001', TRUE],
    ['v > 5', '5', FALSE],
    ['v == 5', '5.0', TRUE],
    ['v != 5', '5.0', FALSE],
    ['3 < v', '3.5', TRUE],
    ['-3 >= v', '-3', TRUE],
    ['v < 1000000', '999999.9999', TRUE],
    ['v >= 0', 'null', UNKNOWN], // TypeError, from the general path
    ['v >= 0', '"1"', UNKNOWN],
    ['v >= 0', 'true', UNKNOWN],
    ['v >= 0', '1e3', UNKNOWN],
    ['v >= 9007199254740991', '1.5', UNKNOWN], // k × 10^scale passes 2^53
    ['v is None', 'null', TRUE],
    ['v is None', '0', FALSE],
    ['v is not None', '"x"', TRUE],
    ['v', 'true', TRUE],
    ['v', 'false', FALSE],
    ['v', 'null', FALSE],
    ['v', '0', UNKNOWN],
  ])('%s on %s is %d', (text, json, out) => {
    expect(tested(text, json)).toBe(out);
  });
});

// Differential: a map whose expressions have byte forms gives the same bytes (or the same error)
// with and without them, on generated values of every kind, around each form's limits.

const SOURCE: StreamSource = {
  streamName: 's',
  schema: {
    type: 'object',
    properties: { id: { type: ['integer'] }, v: {}, w: {} },
  },
  keyProperties: ['id'],
};

const CHARS = [
  'a',
  'Z',
  'q',
  '0',
  ' ',
  '~',
  '{',
  '@',
  'ß',
  'é',
  'İ',
  'ﬁ',
  '中',
  '😀',
  '"',
  '\\',
  '\n',
  '\u007f',
];

function randomValue(r: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const digits = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      i === 0 ? 1 + Math.floor(r() * 9) : Math.floor(r() * 10),
    ).join('');
  switch (Math.floor(r() * 8)) {
    case 0: {
      const n = pick([0, 1, 5, 20, 54, 55, 56, 70]);
      const ascii = r() < 0.6;
      let s = '';
      for (let i = 0; i < n; i++) s += ascii ? pick(CHARS.slice(0, 8)) : pick(CHARS);
      return Buffer.from(JSON.stringify(s));
    }
    case 1:
      // A string with a byte that is not UTF-8.
      return Buffer.concat([
        Buffer.from('"ab'),
        Buffer.from([pick([0x80, 0xc3, 0xff])]),
        Buffer.from('"'),
      ]);
    case 2:
    case 3: {
      const sign = r() < 0.4 ? '-' : '';
      const n = pick([1, 2, 9, 13, 14, 15, 16, 17]);
      const scale = pick([0, 0, 1, 2, 3, 6]);
      const d = r() < 0.1 ? '0'.repeat(n) : digits(n);
      const whole = scale >= d.length ? '0' : d.slice(0, d.length - scale).replace(/^0+(?=\d)/, '');
      const frac = scale === 0 ? '' : `.${d.slice(-scale).padStart(scale, '0')}`;
      return Buffer.from(`${sign}${whole}${frac}`);
    }
    case 4:
      return Buffer.from(
        pick([
          '0',
          '-0',
          '0.0',
          '-0.00',
          '5',
          '5.0',
          '-5',
          '100',
          '1e5',
          '2.5E-3',
          '9007199254740993',
        ]),
      );
    case 5:
      return Buffer.from(pick(['null', 'true', 'false']));
    case 6:
      return Buffer.from(pick(['{"a":1}', '[1,2]', '[]']));
    default:
      return Buffer.from(JSON.stringify(pick(['a@x.org', 'Label 7', 'MiXeD', ''])));
  }
}

/** Each record's output body, or its error's message, with or without the byte forms. */
function outputs(map: unknown, bodies: Buffer[], forms: boolean): string[] {
  const config = parseStreamMapsConfig({ s: map }, {})!;
  const { outputs: maps } = planStream(config, SOURCE);
  const t = new RecordTransform(maps[0]!, config.mapConfig, forms);
  const view = new RecordView();
  return bodies.map((b) => {
    view.load(b, 0, b.length);
    try {
      if (!t.prepare(view)) return '(left out)';
      const sink = new GrowableSink(8);
      t.writeBody(sink);
      return sink.text();
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      return `error: ${e.message}`;
    }
  });
}

describe('byte forms against the general evaluation', () => {
  const r = seededRandom(20261203);
  const bodies = Array.from({ length: 600 }, (_, i) =>
    Buffer.concat([
      Buffer.from(`"id":${i},"v":`),
      randomValue(r),
      Buffer.from(',"w":'),
      randomValue(r),
    ]),
  );
  const maps: Array<Record<string, string>> = [
    { h: 'md5(v)', s: 'sha256(w)' },
    { v: 'v.upper()', w: 'w.lower()' },
    { i: 'int(v)', j: 'int(w * 100)', k: 'int(-7 * v)' },
    { j: 'int(v * 0)', k: 'int(v * 1000000000000000)', m: 'int(9007199254740991 * w)' },
    ...['<', '<=', '>', '>=', '==', '!='].flatMap((op) => [
      { __filter__: `v ${op} 0` },
      { __filter__: `-100 ${op} w` },
      { __filter__: `v ${op} 5` },
    ]),
    { __filter__: 'v is None' },
    { __filter__: 'w is not None' },
    { __filter__: 'v' },
  ];

  it.each(maps.map((m) => [JSON.stringify(m), m]))('%s', (_, map) => {
    const general = outputs(map, bodies, false);
    expect(outputs(map, bodies, true)).toEqual(general);
    // Most generated values give a result (a map failing on nearly all would compare little).
    expect(general.filter((o) => !o.startsWith('error:')).length).toBeGreaterThan(50);
  });
});
