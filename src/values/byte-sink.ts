/**
 * Where byte-level encoders write: `buf` from `pos` on. Encoders read `buf` and `pos` into locals,
 * write, and store `pos` back; `reserve(n)` first guarantees `buf.length - pos >= n` (it may hand
 * out a new buffer, resetting `pos`). The Singer writer is one (src/singer/writer.ts); a line may
 * span two of its buffers, which it joins in order when it writes.
 */
export interface ByteSink {
  buf: Buffer;
  pos: number;
  reserve(bytes: number): void;
}

/** A sink that grows by copying: what a worker thread fills and hands over in one piece. */
export class GrowableSink implements ByteSink {
  buf: Buffer;
  pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /**
   * What was written, in a buffer that owns its whole ArrayBuffer (so it can be transferred to
   * another thread), and an empty sink again.
   */
  take(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }

  /** What was written, as text (tests). */
  text(): string {
    return this.buf.toString('utf8', 0, this.pos);
  }
}

/** Appends `bytes` (a constant part of a line: keys, a record's prefix and suffix). */
export function putBytes(sink: ByteSink, bytes: Buffer): void {
  const n = bytes.length;
  if (sink.pos + n > sink.buf.length) sink.reserve(n);
  const out = sink.buf;
  let p = sink.pos;
  // A loop beats a native copy only for very short pieces (keys); for a RECORD's ~50-byte prefix
  // and suffix, set() was 4× faster than the loop (measured in a micro-benchmark), and those two
  // were a tenth of a narrow FULL_TABLE's CPU (a profile).
  if (n < 16) for (let i = 0; i < n; i++) out[p++] = bytes[i]!;
  else {
    out.set(bytes, p);
    p += n;
  }
  sink.pos = p;
}

/** Appends `text` as UTF-8. */
export function putString(sink: ByteSink, text: string): void {
  const max = text.length * 3;
  if (sink.pos + max > sink.buf.length) sink.reserve(max);
  sink.pos += sink.buf.write(text, sink.pos);
}
