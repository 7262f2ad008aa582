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

/**
 * A sink that grows by copying: what a worker thread fills and hands over in whole buffers, which
 * can come back once written (`giveBack`), so a long copy reuses a few buffers instead of making
 * garbage at the rate it reads (memory that is only reclaimed when V8 next collects).
 */
export class GrowableSink implements ByteSink {
  buf: Buffer;
  pos = 0;
  private readonly spares: Buffer[] = [];

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /**
   * What was written, as a view of a buffer that owns its whole ArrayBuffer (so that can be
   * transferred to another thread, and back), and an empty sink again on another buffer.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = this.spares.pop() ?? Buffer.allocUnsafeSlow(this.initialBytes);
    this.pos = 0;
    return out;
  }

  /** A buffer `take` handed out is free again; kept when there is room for it among the spares. */
  giveBack(buffer: ArrayBuffer, keep = 2): void {
    if (this.spares.length < keep && buffer.byteLength >= this.initialBytes) {
      this.spares.push(Buffer.from(buffer));
    }
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
