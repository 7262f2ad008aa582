import type { WriteBarrier } from '../../singer/writer';
import { copyInto } from '../byte-copy';
import { BLOCKS_AT, HEX_AT, LANES } from './md5-simd-wat';
import { MD5_SIMD_WASM } from './md5-simd-wasm';

/** The longest message that fits one block with MD5's padding. */
export const MAX_LANE_MESSAGE = 55;

/**
 * MD5s of short messages made LANES at a time (WebAssembly SIMD, md5-simd-wat.ts), each written as
 * 32 hex digits into a hole its caller left in a line. Why deferred: one message at a time, a
 * stream map's `md5(email)` cost about as much again as the rest of the map; with its copy in and
 * its digits out, a message now takes about 61 ns against 125 ns one by one (in a loop).
 *
 * The digits are in their holes once `settle()` has run (or sooner, when every lane is taken). The
 * writer whose lines have holes settles it before it writes or moves any of its bytes
 * (SingerWriter.addBarrier); a hole's bytes must stay where they are until then.
 */
export class Md5Lanes implements WriteBarrier {
  /** The module's memory: its blocks, then its digests' hex digits. */
  private readonly memory: Uint8Array;
  /**
   * The digits, eight to a double: moved as doubles, half the moves of 32-bit words, and exactly,
   * since only a NaN's bits may change in a move, and eight ASCII digits are never one (the top
   * byte, below 0x80, leaves the exponent short of all ones).
   */
  private readonly hex: Float64Array;
  /**
   * Each lane's message and length (the module makes the block from them) are written here and
   * copied into the module's memory in one call when hashed: arrays over a WebAssembly memory,
   * which may grow and move, cost V8 a check on every access (a message's block written there took
   * 49 ns, here about half). `blocks` is the DataView `copyInto` writes the messages through.
   */
  private readonly words = new Int32Array(LANES * 16);
  private readonly bytes = new Uint8Array(this.words.buffer);
  private readonly blocks = new DataView(this.words.buffer);
  private pending = 0;
  private readonly holes: Array<DataView | null> = new Array<DataView | null>(LANES).fill(null);
  private readonly holeAt = new Int32Array(LANES);
  /** Messages hashed so far (what tests check the lanes were used by). */
  hashed = 0;

  private constructor(
    private readonly run: () => void,
    memory: WebAssembly.Memory,
  ) {
    this.memory = new Uint8Array(memory.buffer);
    this.hex = new Float64Array(memory.buffer, HEX_AT, LANES * 4);
  }

  /**
   * New lanes, or null where WebAssembly SIMD is not available (a host without it, a big-endian
   * one, `node --jitless`): the map then hashes each text as it meets it.
   */
  static create(): Md5Lanes | null {
    const wasm = compiled();
    if (!wasm) return null;
    const instance = new WebAssembly.Instance(wasm, {});
    const { hash, memory } = instance.exports as { hash: () => void; memory: WebAssembly.Memory };
    return new Md5Lanes(hash, memory);
  }

  /**
   * The MD5 of bytes [start, end) of `src` (at most MAX_LANE_MESSAGE; `srcView` a DataView of all
   * of `src`) as 32 hex digits at `at` of the buffer `hole` views, once settled.
   */
  put(
    src: Uint8Array,
    srcView: DataView,
    start: number,
    end: number,
    hole: DataView,
    at: number,
  ): void {
    const lane = this.pending;
    // The message and its length; the module makes the block (md5-simd-wat.ts), so the bytes
    // after the message may be anything, and the message is copied eight bytes a move.
    copyInto(srcView, src, start, end, this.blocks, this.bytes, 64 * lane);
    this.words[16 * lane + 15] = end - start;
    // Stored only when it changes (lines share a buffer for long stretches): storing a DataView
    // made since the last scavenge into this long-lived array runs V8's write barrier each time,
    // about 10 ns a message in profiles of the bench's map.
    if (this.holes[lane] !== hole) this.holes[lane] = hole;
    this.holeAt[lane] = at;
    this.pending = lane + 1;
    if (lane + 1 === LANES) this.settle();
  }

  /** Every pending digest into its hole. */
  settle(): void {
    const n = this.pending;
    if (n === 0) return;
    this.pending = 0;
    this.hashed += n;
    // Lanes past n hash what they last held: their digests are not read.
    this.memory.set(this.bytes, BLOCKS_AT);
    this.run();
    const hex = this.hex;
    const holes = this.holes;
    for (let lane = 0; lane < n; lane++) {
      const hole = holes[lane]!;
      const p = this.holeAt[lane]!;
      const w = 4 * lane;
      // Little-endian both ways: the bytes land in the order the module stored them.
      for (let k = 0; k < 4; k++) hole.setFloat64(p + 8 * k, hex[w + k]!, true);
    }
    // A settle before all lanes are taken is a writer's barrier (its buffers may be let go next):
    // the lanes keep no view of them. When all are taken, the next messages overwrite each one.
    if (n < LANES) holes.fill(null);
  }
}

let simdModule: WebAssembly.Module | null | undefined;

function compiled(): WebAssembly.Module | null {
  if (simdModule !== undefined) return simdModule;
  const little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  const bytes = Buffer.from(MD5_SIMD_WASM, 'base64');
  // `node --jitless` has no WebAssembly at all.
  const wasm = typeof WebAssembly === 'object' && little && WebAssembly.validate(bytes);
  simdModule = wasm ? new WebAssembly.Module(bytes) : null;
  return simdModule;
}
