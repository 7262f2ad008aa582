/**
 * The WebAssembly text of the module md5-lanes.ts uses: its `hash` makes LANES single-block MD5s
 * at once, in groups of four, one message in each 32-bit lane of 128-bit SIMD vectors. MD5's 64
 * steps each wait on the step before, so one scalar MD5 leaves most of the core idle; a group of
 * four fills each vector instruction, and two groups, their steps interleaved, fill the time one
 * group's steps wait (about 100 ns a block in the tap's unrolled JavaScript; 37 ns with one group,
 * 21 ns with two, in a loop). Generated rather than written out: RFC 1321's constants and schedule
 * are computed here.
 *
 * Memory (one 64 KiB page, exported as `memory`), byte offsets:
 * - BLOCKS_AT: the LANES messages, lane l's at 64 l, its length as a 32-bit little-endian number
 *   at 64 l + 60, and in between, after the message, whatever was there. The module makes the
 *   block MD5 reads (the message, 0x80, zeroes, the bit length) as it loads it: a few vector
 *   operations, where JavaScript writing the end mark and the zeroes cost a branch and a checked
 *   store per word, and let it copy a message eight bytes at a time whatever its length;
 * - WORDS_AT: each group's 16 words transposed, word k of group g's four lanes at 256 g + 16 k;
 * - HEX_AT: each lane's digest as 32 lower-case hex digits (ASCII), lane l's at 32 l. Made here
 *   rather than in JavaScript, where each byte took a table lookup and a share of a store: the
 *   settling of a message fell from about 365 instructions to 170 (bench/row-map-instructions),
 *   the bench's map from about 335 ns a row over an unmapped one to 300 (bench/row-map-micro).
 *
 * md5-simd-wasm.ts holds the assembled module (`npm run wasm` writes it again).
 */

/** RFC 1321's T[i], as signed 32-bit integers. */
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
/** Each round's four rotations. */
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
/** The message word step i adds. */
const wordOf = (i: number): number =>
  i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16;
const INITIAL = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];

/** Groups of four lanes, their steps interleaved: one group's steps wait on each other. */
export const GROUPS = 2;
export const LANES = 4 * GROUPS;
export const BLOCKS_AT = 0;
export const WORDS_AT = 64 * LANES;
export const HEX_AT = 2 * 64 * LANES;

const splat = (x: number) => `(v128.const i32x4 ${x} ${x} ${x} ${x})`;
const get = (x: string) => `(local.get $${x})`;

/** The round function of step i on the state's b, c, d (bitselect(x, y, m) is (x & m) | (y & ~m)). */
function roundFunction(i: number, b: string, c: string, d: string): string {
  if (i < 16) return `(v128.bitselect ${get(c)} ${get(d)} ${get(b)})`;
  if (i < 32) return `(v128.bitselect ${get(b)} ${get(c)} ${get(d)})`;
  if (i < 48) return `(v128.xor ${get(b)} (v128.xor ${get(c)} ${get(d)}))`;
  return `(v128.xor ${get(c)} (v128.or ${get(b)} (v128.not ${get(d)})))`;
}

export function md5SimdWat(): string {
  const groups = Array.from({ length: GROUPS }, (_, g) => g);
  const state = (g: number) => ['a', 'b', 'c', 'd'].map((n) => `${n}${g}`);
  const out: string[] = [
    '(module',
    '  (memory (export "memory") 1)',
    '  (func (export "hash")',
    ...groups.map(
      (g) => `    ${[...state(g), `v${g}`].map((n) => `(local $${n} v128)`).join(' ')}`,
    ),
    '    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)',
    '    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)',
    `    ${Array.from({ length: LANES }, (_, l) => `(local $n${l} v128)`).join(' ')}`,
  ];
  // Each lane's length in every byte, to compare with the bytes' offsets.
  for (let l = 0; l < LANES; l++) {
    out.push(
      `    (local.set $n${l} (i8x16.splat (i32.load offset=${BLOCKS_AT + 64 * l + 60} (i32.const 0))))`,
    );
  }
  /**
   * Bytes 16q..16q+15 of lane l's block: the message's bytes kept (offset below the length), 0x80
   * at the length, zero elsewhere; the last sixteen also get the bit length in their third word
   * (the fourth, the length's high half, is zero: the length is at most 55, those bytes past it).
   */
  const blockPart = (l: number, q: number): string => {
    const offsets = `(v128.const i8x16 ${Array.from({ length: 16 }, (_, j) => 16 * q + j).join(' ')})`;
    const n = get(`n${l}`);
    const part =
      `(v128.or (v128.and (v128.load offset=${BLOCKS_AT + 64 * l + 16 * q} (i32.const 0)) (i8x16.gt_s ${n} ${offsets}))` +
      ` (v128.and (i8x16.eq ${n} ${offsets}) (v128.const i8x16 ${Array(16).fill(-128).join(' ')})))`;
    if (q < 3) return part;
    const bits = `(i32.shl (i32.load offset=${BLOCKS_AT + 64 * l + 60} (i32.const 0)) (i32.const 3))`;
    return `(i32x4.replace_lane 2 ${part} ${bits})`;
  };
  // Transposed four words at a time: rows r_l are words 4q..4q+3 of lane l; interleaving pairs
  // of rows by 32 and then by 64 bits gives word 4q+j of every lane of the group.
  const low32 = '0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23';
  const high32 = '8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31';
  const low64 = '0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23';
  const high64 = '8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31';
  /** Rows r0..r3 interleaved by 32 bits into t0..t3 (the first half of a 4 × 4 transpose). */
  const interleave32 = () => {
    out.push(`    (local.set $t0 (i8x16.shuffle ${low32} ${get('r0')} ${get('r1')}))`);
    out.push(`    (local.set $t1 (i8x16.shuffle ${high32} ${get('r0')} ${get('r1')}))`);
    out.push(`    (local.set $t2 (i8x16.shuffle ${low32} ${get('r2')} ${get('r3')}))`);
    out.push(`    (local.set $t3 (i8x16.shuffle ${high32} ${get('r2')} ${get('r3')}))`);
  };
  for (const g of groups) {
    for (let q = 0; q < 4; q++) {
      for (let l = 0; l < 4; l++) out.push(`    (local.set $r${l} ${blockPart(4 * g + l, q)})`);
      interleave32();
      const at = WORDS_AT + 256 * g + 64 * q;
      const store = (o: number, mask: string, x: string, y: string) =>
        out.push(
          `    (v128.store offset=${o} (i32.const 0) (i8x16.shuffle ${mask} ${get(x)} ${get(y)}))`,
        );
      store(at, low64, 't0', 't2');
      store(at + 16, high64, 't0', 't2');
      store(at + 32, low64, 't1', 't3');
      store(at + 48, high64, 't1', 't3');
    }
  }
  for (const g of groups) {
    state(g).forEach((n, k) => out.push(`    (local.set $${n} ${splat(INITIAL[k]!)})`));
  }
  const regs = groups.map(state);
  for (let i = 0; i < 64; i++) {
    const s = S[(i >> 4) * 4 + (i & 3)]!;
    for (const g of groups) {
      const [a, b, c, d] = regs[g] as [string, string, string, string];
      const m = `(v128.load offset=${WORDS_AT + 256 * g + 16 * wordOf(i)} (i32.const 0))`;
      const v = `v${g}`;
      // As the scalar MD5: the word, the constant and the oldest state word first, the round's
      // function (which waits on the newest) last.
      out.push(
        `    (local.set $${v} (i32x4.add (i32x4.add (i32x4.add ${m} ${splat(K[i]!)}) ${get(a)}) ${roundFunction(i, b, c, d)}))`,
      );
      out.push(
        `    (local.set $${a} (i32x4.add ${get(b)} (v128.or (i32x4.shl ${get(v)} (i32.const ${s})) (i32x4.shr_u ${get(v)} (i32.const ${32 - s})))))`,
      );
      regs[g] = [d, a, b, c];
    }
  }
  // The digests: each state word plus its initial value, then transposed as the blocks were, so
  // that a vector holds one lane's 16 digest bytes (A, B, C, D, each little-endian), then hex.
  const hexDigits = Array.from('0123456789abcdef', (c) => c.charCodeAt(0)).join(' ');
  const pairs = (half: number) =>
    Array.from({ length: 8 }, (_, j) => `${8 * half + j} ${16 + 8 * half + j}`).join(' ');
  for (const g of groups) {
    state(g).forEach((n, k) =>
      out.push(`    (local.set $r${k} (i32x4.add ${get(n)} ${splat(INITIAL[k]!)}))`),
    );
    interleave32();
    const lanes: Array<[string, string, string]> = [
      [low64, 't0', 't2'],
      [high64, 't0', 't2'],
      [low64, 't1', 't3'],
      [high64, 't1', 't3'],
    ];
    lanes.forEach(([mask, x, y], i) => {
      const at = HEX_AT + 32 * (4 * g + i);
      out.push(`    (local.set $v${g} (i8x16.shuffle ${mask} ${get(x)} ${get(y)}))`);
      // Each byte's high and low nibble as its digit, then the digits in the byte's order.
      out.push(
        `    (local.set $a${g} (i8x16.swizzle (v128.const i8x16 ${hexDigits}) (i8x16.shr_u ${get(`v${g}`)} (i32.const 4))))`,
      );
      out.push(
        `    (local.set $b${g} (i8x16.swizzle (v128.const i8x16 ${hexDigits}) (v128.and ${get(`v${g}`)} ${splat(0x0f0f0f0f)})))`,
      );
      for (const half of [0, 1]) {
        out.push(
          `    (v128.store offset=${at + 16 * half} (i32.const 0) (i8x16.shuffle ${pairs(half)} ${get(`a${g}`)} ${get(`b${g}`)}))`,
        );
      }
    });
  }
  out.push('  )', ')');
  return `${out.join('\n')}\n`;
}
