import fc from 'fast-check';
import { GrowableSink } from '../values/byte-sink';
import { pyEquals, pyFromJson, pyRepr, pyToJson, pyTypeName } from './expression';
import { putRange } from './byte-copy';
import { putJson } from './put-json';
import { decodeValue } from './record-view';
import { seededRandom } from './testing/seeded-random';

describe('the fast paths agree with the expression module', () => {
  it('decodeValue is pyFromJson', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map((n) => n.toString()),
          fc.string({ unit: 'grapheme' }),
          // Fixed-point numbers as a numeric column gives them (trailing zeros, -0.00), either
          // side of the 15 digits decodeValue reads itself.
          fc
            .tuple(
              fc.boolean(),
              fc.stringMatching(/^(0|[1-9]\d{0,11})$/),
              fc.stringMatching(/^\d{1,9}$/),
            )
            .map(([neg, i, f]) => `${neg ? '-' : ''}${i}.${f}`),
        ),
        (v) => {
          const json = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? v : JSON.stringify(v);
          const b = Buffer.from(` ${json} `);
          const fast = decodeValue(b, 1, b.length - 1);
          const slow = pyFromJson(json);
          expect(pyTypeName(fast)).toBe(pyTypeName(slow));
          expect(pyRepr(fast)).toBe(pyRepr(slow));
          expect(pyEquals(fast, slow)).toBe(true);
          expect(pyToJson(fast)).toBe(pyToJson(slow));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('putJson is pyToJson', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.bigInt(),
          // Either side of the safe integers putJson writes digit by digit.
          fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }),
          fc.jsonValue().map((v) => pyFromJson(JSON.stringify(v))),
        ),
        (v) => {
          const sink = new GrowableSink(4);
          putJson(sink, v);
          expect(sink.text()).toBe(pyToJson(v));
        },
      ),
    );
  });
});

describe('the byte-level fast paths, case by case', () => {
  it('decodeValue reads strings as JSON does: ASCII, UTF-8, escapes, bad bytes', () => {
    const texts = [
      '""',
      '"label 123"',
      '"läbel"',
      '"Zoë 😀 ß"',
      '"a\\"b"',
      '"back\\\\slash"',
      '"\\u00e9t\\u00e9"',
      '"tab\\there"',
      '"\\ud83d\\ude00"',
      '"x\\/y"',
    ];
    for (const t of texts) {
      const b = Buffer.from(`,${t},`);
      expect(decodeValue(b, 1, b.length - 1)).toBe(JSON.parse(t));
    }
    // An escape or a non-ASCII character at every place of strings around the word size.
    for (let n = 1; n <= 13; n++) {
      for (let at = 0; at < n; at++) {
        for (const c of ['\\"', '\\\\', '\\u00e9', 'é', '😀', 'ÿ']) {
          const t = `"${'abcdefghijklm'.slice(0, at)}${c}${'abcdefghijklm'.slice(at + 1, n)}"`;
          const b = Buffer.from(`:${t},`);
          expect(decodeValue(b, 1, b.length - 1)).toBe(JSON.parse(t));
        }
      }
    }
    // Bytes that are not UTF-8 decode as Buffer's UTF-8 decoder has them (U+FFFD).
    const bad = Buffer.from([0x22, 0x61, 0xff, 0xc3, 0x22]);
    expect(decodeValue(bad, 0, bad.length)).toBe(bad.toString('utf8', 1, 4));
  });

  it('putJson writes ints either side of each fast path’s limits', () => {
    const edges = [0n, 1n, 9n, 10n, 99n, 100n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n];
    const more = [10n ** 15n - 1n, 10n ** 15n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n, 10n ** 40n];
    for (const n of [...edges, ...more].flatMap((n) => [n, -n])) {
      const sink = new GrowableSink(4);
      putJson(sink, n);
      expect(sink.text()).toBe(n.toString());
    }
  });

  it('putJson writes every digit count, and the 8-digit split of large ints, exactly', () => {
    const cases: bigint[] = [];
    for (let k = 0n; k <= 16n; k++) cases.push(10n ** k - 1n, 10n ** k, 10n ** k + 1n);
    // Just below a multiple of 10^8, where the high part's division is closest to rounding up.
    for (let k = 1n; k < 90_000_000n; k = k * 3n + 7n)
      cases.push(k * 10n ** 8n - 1n, k * 10n ** 8n);
    cases.push(2n ** 53n - 1n, 90_071_992n * 10n ** 8n - 1n);
    const random = seededRandom(53);
    for (let i = 0; i < 20000; i++) {
      const digits = 1 + Math.floor(random() * 16);
      cases.push(BigInt(Math.floor(random() * 10 ** digits)));
    }
    for (const n of cases.filter((n) => n <= 2n ** 53n - 1n).flatMap((n) => [n, -n])) {
      const sink = new GrowableSink(4);
      putJson(sink, n);
      expect(sink.text()).toBe(n.toString());
    }
  });

  it('putJson writes a string with any character at any place as pyToJson does', () => {
    const specials = ['"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'é', '\u2028', '😀', '\ud800'];
    for (let n = 0; n <= 12; n++) {
      for (let at = 0; at < n; at++) {
        for (const c of specials) {
          const s = 'abcdefghijkl'.slice(0, at) + c + 'abcdefghijkl'.slice(at + 1, n);
          const sink = new GrowableSink(4);
          putJson(sink, s);
          // As bytes: the tap writes UTF-8, where a lone surrogate is U+FFFD whichever way.
          expect(sink.buf.subarray(0, sink.pos)).toEqual(Buffer.from(pyToJson(s)));
        }
      }
      const plain = 'x'.repeat(n) + 'label 1234567890';
      const sink = new GrowableSink(4);
      putJson(sink, plain);
      expect(sink.text()).toBe(JSON.stringify(plain));
    }
  });

  it('putRange copies any range, from and into many buffers in turn', () => {
    const sources = Array.from({ length: 6 }, (_, k) =>
      Buffer.from(Array.from({ length: 90 }, (_, i) => (i * 7 + k * 13) & 0xff)),
    );
    const sinks = Array.from({ length: 5 }, () => new GrowableSink(8));
    const expected = sinks.map(() => [] as number[]);
    let turn = 0;
    for (let start = 0; start < 20; start += 3) {
      for (let end = start; end <= 90; end += 1 + (end % 5)) {
        const k = turn++;
        const src = sources[k % sources.length]!;
        putRange(sinks[k % sinks.length]!, src, start, end);
        expected[k % sinks.length]!.push(...src.subarray(start, end));
      }
    }
    sinks.forEach((s, i) => expect([...s.buf.subarray(0, s.pos)]).toEqual(expected[i]));
  });
});
