import { createHash } from 'node:crypto';
import { md5Hex, md5HexInto, nativeHash } from './md5';

const reference = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** A deterministic generator, so a failure names an input that can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Code units from every UTF-8 length class, paired and lone surrogates included. */
const POOLS: ReadonlyArray<readonly [number, number]> = [
  [0x00, 0x7f],
  [0x80, 0x7ff],
  [0x800, 0xd7ff],
  [0xd800, 0xdfff],
  [0xe000, 0xffff],
];

function randomString(rand: () => number, length: number, ascii: boolean): string {
  let s = '';
  while (s.length < length) {
    if (ascii || rand() < 0.6) {
      s += String.fromCharCode(0x20 + Math.floor(rand() * 0x5f));
    } else if (rand() < 0.2) {
      s += String.fromCodePoint(0x10000 + Math.floor(rand() * 0xfffff)); // a surrogate pair
    } else {
      const [lo, hi] = POOLS[Math.floor(rand() * POOLS.length)]!;
      s += String.fromCharCode(lo + Math.floor(rand() * (hi - lo + 1)));
    }
  }
  return s;
}

describe('md5Hex is MD5 of the UTF-8 bytes, as node:crypto computes it', () => {
  test.each(['', 'a', 'abc', 'message digest', 'label 1', 'é', '😀', '\ud800', 'x\udc00y'])(
    '%j',
    (s) => expect(md5Hex(s)).toBe(reference(s)),
  );

  test('every byte length 0..200 (the single-block fast path ends at 55 bytes)', () => {
    for (let n = 0; n <= 200; n++) {
      const s = 'abcdefghij'.repeat(21).slice(0, n);
      expect([n, md5Hex(s)]).toEqual([n, reference(s)]);
      // Two-byte and three-byte characters cross the 55-byte limit mid-character.
      for (const c of ['é', '€', '😀']) {
        const t = c.repeat(Math.ceil(n / c.length)).slice(0, n) + 'z'.repeat(n % 3);
        expect([t, md5Hex(t)]).toEqual([t, reference(t)]);
      }
    }
  });

  test('thousands of random strings, ASCII and any code units', () => {
    const rand = mulberry32(20261203);
    for (let i = 0; i < 6000; i++) {
      const length = Math.floor(rand() * (i % 3 === 0 ? 200 : 64));
      const s = randomString(rand, length, i % 2 === 0);
      const got = md5Hex(s);
      if (got !== reference(s)) expect([s, got]).toEqual([s, reference(s)]);
    }
  });

  test('nativeHash gives the digests of node:crypto', () => {
    expect(nativeHash('sha256', 'abc')).toBe(createHash('sha256').update('abc').digest('hex'));
    expect(nativeHash('md5', 'x'.repeat(100))).toBe(reference('x'.repeat(100)));
  });
});

describe('md5HexInto', () => {
  it('writes the digest of any bytes, of every length across one block, at any offset', () => {
    const out = Buffer.alloc(80);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let n = 0; n <= 70; n++) {
      const src = Buffer.from(Array.from({ length: n + 3 }, (_, i) => (i * 151 + n * 7) & 255));
      const at = n % 5;
      md5HexInto(src, 3, n + 3, out, at, view);
      const want = createHash('md5').update(src.subarray(3)).digest('hex');
      expect([n, out.toString('latin1', at, at + 32)]).toEqual([n, want]);
    }
  });
});
