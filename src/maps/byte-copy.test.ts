import { copyInto, copyWhole, viewOf } from './byte-copy';

describe('copying short byte ranges (copyInto, copyWhole)', () => {
  const src = Buffer.from(Array.from({ length: 90 }, (_, i) => (i * 37 + 11) & 0xff));
  // Doubles' NaN patterns (either byte order) at several places: their bits must land unchanged.
  for (const at of [8, 20, 33, 47, 62])
    src.set([0x01, 0xf8, 0x7f, 0xff, 0xf1, 0x7f, 0xf0, 0xff], at);

  it('copies every length from every offset, touching no byte outside the range', () => {
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= start + 70; end++) {
        for (const at of [0, 1, 3, 6]) {
          const out = Buffer.alloc(100, 0xee);
          const q = copyInto(viewOf(src), src, start, end, viewOf(out), out, at);
          expect(q).toBe(at + end - start);
          const want = Buffer.alloc(100, 0xee);
          src.copy(want, at, start, end);
          expect([start, end, at, out.equals(want)]).toEqual([start, end, at, true]);
        }
      }
    }
  });

  it('copies whole pieces short and long', () => {
    for (const n of [0, 1, 3, 4, 5, 39, 40, 41, 80]) {
      const piece = src.subarray(0, n);
      const out = Buffer.alloc(100, 0xee);
      expect(copyWhole(viewOf(piece), piece, viewOf(out), out, 5)).toBe(5 + n);
      const want = Buffer.alloc(100, 0xee);
      piece.copy(want, 5);
      expect(out.equals(want)).toBe(true);
    }
  });
});
