import type { ByteSink } from '../values/byte-sink';

/**
 * Copying the short byte ranges a mapped record is made of (values passed on, keys, runs of
 * properties: 5 to 100 bytes). A native copy (`Buffer.copy`, `set` of a subarray) costs about as
 * much as 100 bytes copied in JavaScript whatever its size, and a byte loop about 1 ns a byte;
 * four bytes at a time through DataViews costs a third of either (measured in bench/map-micro).
 *
 * Records come from, and go to, the same few buffers for long stretches (a record's body, its
 * output's constant keys, a sink's buffer), so the DataViews of the last few buffers are kept.
 * Enough of them for several outputs with a stage each: a mapped record touching more buffers than
 * are kept made a DataView per copy, which doubled the map's cost (seen at 4 with one map).
 */
const CACHED = 16;
const cachedBufs: Array<Uint8Array | null> = new Array<Uint8Array | null>(CACHED).fill(null);
const cachedViews: DataView[] = Array.from(
  { length: CACHED },
  () => new DataView(new ArrayBuffer(0)),
);
let nextSlot = 0;

/** A DataView of all of `b`. */
export function viewOf(b: Uint8Array): DataView {
  for (let i = 0; i < CACHED; i++) if (cachedBufs[i] === b) return cachedViews[i]!;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  cachedBufs[nextSlot] = b;
  cachedViews[nextSlot] = v;
  nextSlot = (nextSlot + 1) % CACHED;
  return v;
}

/** Appends bytes [start, end) of `src`. */
export function putRange(sink: ByteSink, src: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (sink.pos + n > sink.buf.length) sink.reserve(n);
  const out = sink.buf;
  sink.pos =
    n >= 8
      ? copyInto(viewOf(src), src, start, end, viewOf(out), out, sink.pos)
      : copyBytes(src, start, end, out, sink.pos);
}

/**
 * Bytes [start, end) of `src` (`from` its DataView) into `out` at `p` (`to` its DataView), where
 * there is room already; returns the end. For a caller writing many pieces of one record: the
 * views and the room are found once for all of them.
 */
export function copyInto(
  from: DataView,
  src: Uint8Array,
  start: number,
  end: number,
  to: DataView,
  out: Uint8Array,
  p: number,
): number {
  let s = start;
  const n = end - s;
  // Eight bytes a move as doubles, little-endian both ways, so they land as they were: V8 moves a
  // double's bits unchanged, NaNs included (the tests copy NaN patterns), and the pieces of a
  // RECORD line, being valid UTF-8, never make one anyway (that needs 0x7f or 0xff after a byte
  // of at least 0xf0). The range's last bytes are its last word, over bytes already written: a
  // 14-byte key is two moves, where four bytes a move and the rest byte by byte took five.
  if (n >= 8) {
    for (; s + 8 < end; s += 8, p += 8) to.setFloat64(p, from.getFloat64(s, true), true);
    to.setFloat64(p + end - s - 8, from.getFloat64(end - 8, true), true);
    return p + end - s;
  }
  if (n >= 4) {
    to.setInt32(p, from.getInt32(s));
    to.setInt32(p + n - 4, from.getInt32(end - 4));
    return p + n;
  }
  while (s < end) out[p++] = src[s++]!;
  return p;
}

function copyBytes(src: Uint8Array, s: number, end: number, out: Uint8Array, p: number): number {
  while (s < end) out[p++] = src[s++]!;
  return p;
}

/**
 * From this size a native copy (`set`, about 21 ns whatever the size) is cheaper than DataViews
 * (30 ns at 64 bytes, 36 at 71), and below it dearer (about 9 ns at 13 bytes); measured in a loop,
 * each size in a process of its own.
 */
const NATIVE_FROM = 40;

/**
 * All of `src` (`from` its DataView) into `out` at `p` (`to` its DataView), where there is room
 * already; returns the end. For whole pieces a record repeats, such as a RECORD line's prefix and
 * end (60 to 100 bytes).
 */
export function copyWhole(
  from: DataView,
  src: Uint8Array,
  to: DataView,
  out: Uint8Array,
  p: number,
): number {
  const n = src.length;
  if (n < NATIVE_FROM) return copyInto(from, src, 0, n, to, out, p);
  out.set(src, p);
  return p + n;
}
