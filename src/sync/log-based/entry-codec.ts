import type { BufferedEntry } from './change-encoder';

/**
 * A compact binary form of buffered entries for the spill file: each entry is its byte length
 * (u32) and then
 * - change: tag 0 (1 when deleted), layout id u32, texts (u16 count, each i32 byte length or -1
 *   for null, then UTF-8), missing positions (u16 count, u16 each), key texts (u16 count, 0xffff
 *   when there is no key);
 * - truncate: tag 2 (3 when of some partitions only), u16 count, u32 layout id each;
 * - key lost: tag 4, layout id u32.
 */
const TAG_CHANGE = 0;
const TAG_DELETE = 1;
const TAG_TRUNCATE = 2;
const TAG_PARTIAL_TRUNCATE = 3;
const TAG_KEY_LOST = 4;
const NO_KEY = 0xffff;

/** Appends entries to a reusable chunk; full chunks go to `sink`. */
export class EntryWriter {
  private buf: Buffer;
  private len = 0;

  constructor(
    private readonly sink: (chunk: Buffer) => void,
    private readonly chunkBytes = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  write(e: BufferedEntry): void {
    // Worst case per string: 3 UTF-8 bytes per UTF-16 unit, plus its length.
    let bound = 4 + 1 + 4 + 2;
    if (e.kind === 'truncate') bound += 4 * e.layoutIds.length;
    else if (e.kind === 'change') {
      for (const t of e.texts) bound += 4 + (t === null ? 0 : 3 * t.length);
      bound += 2 + 2 * e.missing.length + 2;
      for (const t of e.key ?? []) bound += 4 + (t === null ? 0 : 3 * t.length);
    }
    this.reserve(bound);
    const start = this.len;
    this.len += 4;
    if (e.kind === 'truncate') {
      this.buf.writeUInt8(e.partial ? TAG_PARTIAL_TRUNCATE : TAG_TRUNCATE, this.len++);
      this.buf.writeUInt16LE(e.layoutIds.length, this.len);
      this.len += 2;
      for (const id of e.layoutIds) {
        this.buf.writeUInt32LE(id, this.len);
        this.len += 4;
      }
    } else if (e.kind === 'key-lost') {
      this.buf.writeUInt8(TAG_KEY_LOST, this.len++);
      this.buf.writeUInt32LE(e.layoutId, this.len);
      this.len += 4;
    } else {
      this.buf.writeUInt8(e.deleted ? TAG_DELETE : TAG_CHANGE, this.len++);
      this.buf.writeUInt32LE(e.layoutId, this.len);
      this.len += 4;
      this.texts(e.texts);
      this.buf.writeUInt16LE(e.missing.length, this.len);
      this.len += 2;
      for (const m of e.missing) {
        this.buf.writeUInt16LE(m, this.len);
        this.len += 2;
      }
      if (e.key) this.texts(e.key);
      else {
        this.buf.writeUInt16LE(NO_KEY, this.len);
        this.len += 2;
      }
    }
    this.buf.writeUInt32LE(this.len - start - 4, start);
  }

  /** Bytes written but not yet handed to the sink. */
  get pending(): number {
    return this.len;
  }

  /** Hands what is buffered to the sink. */
  flush(): void {
    if (this.len === 0) return;
    this.sink(this.buf.subarray(0, this.len));
    this.len = 0;
  }

  private texts(texts: readonly (string | null)[]): void {
    this.buf.writeUInt16LE(texts.length, this.len);
    this.len += 2;
    for (const t of texts) {
      if (t === null) {
        this.buf.writeInt32LE(-1, this.len);
        this.len += 4;
      } else {
        const n = this.buf.write(t, this.len + 4, 'utf8');
        this.buf.writeInt32LE(n, this.len);
        this.len += 4 + n;
      }
    }
  }

  private reserve(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    this.flush();
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes);
    else if (this.buf.length > this.chunkBytes && bytes <= this.chunkBytes) {
      this.buf = Buffer.allocUnsafe(this.chunkBytes); // give a one-off large buffer back
    }
  }
}

/** Decodes one entry from `buf[start, end)` (the bytes after its length). */
export function decodeEntry(buf: Buffer, start: number): BufferedEntry {
  let p = start;
  const tag = buf.readUInt8(p++);
  if (tag === TAG_TRUNCATE || tag === TAG_PARTIAL_TRUNCATE) {
    const n = buf.readUInt16LE(p);
    p += 2;
    const layoutIds: number[] = [];
    for (let i = 0; i < n; i++, p += 4) layoutIds.push(buf.readUInt32LE(p));
    return tag === TAG_PARTIAL_TRUNCATE
      ? { kind: 'truncate', layoutIds, partial: true }
      : { kind: 'truncate', layoutIds };
  }
  const layoutId = buf.readUInt32LE(p);
  p += 4;
  if (tag === TAG_KEY_LOST) return { kind: 'key-lost', layoutId };
  const texts = (count: number): (string | null)[] => {
    const out: (string | null)[] = [];
    for (let i = 0; i < count; i++) {
      const n = buf.readInt32LE(p);
      p += 4;
      if (n < 0) out.push(null);
      else {
        out.push(buf.toString('utf8', p, p + n));
        p += n;
      }
    }
    return out;
  };
  const nTexts = buf.readUInt16LE(p);
  p += 2;
  const values = texts(nTexts);
  const nMissing = buf.readUInt16LE(p);
  p += 2;
  const missing: number[] = [];
  for (let i = 0; i < nMissing; i++, p += 2) missing.push(buf.readUInt16LE(p));
  const nKey = buf.readUInt16LE(p);
  p += 2;
  const key = nKey === NO_KEY ? null : texts(nKey);
  return {
    kind: 'change',
    layoutId,
    deleted: tag === TAG_DELETE,
    texts: values,
    missing,
    key,
  };
}

/**
 * Reads the entries written to a file, in order, holding one chunk (or one entry, when larger)
 * in memory. `read(buf, offset, length, position)` returns the bytes read, 0 at the end.
 */
export function* readEntries(
  read: (buf: Buffer, offset: number, length: number, position: number) => number,
  chunkBytes = 1 << 20,
): Generator<BufferedEntry> {
  let buf = Buffer.allocUnsafe(chunkBytes);
  let start = 0;
  let end = 0;
  let position = 0;
  let eof = false;
  const fill = (need: number): boolean => {
    while (end - start < need && !eof) {
      if (start > 0) {
        buf.copy(buf, 0, start, end);
        end -= start;
        start = 0;
      }
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafe(need);
        buf.copy(bigger, 0, 0, end);
        buf = bigger;
      }
      const n = read(buf, end, buf.length - end, position);
      if (n === 0) eof = true;
      position += n;
      end += n;
    }
    return end - start >= need;
  };
  for (;;) {
    if (!fill(4)) {
      if (end > start) throw new Error('spill file ends inside an entry');
      return;
    }
    const len = buf.readUInt32LE(start);
    if (!fill(4 + len)) throw new Error('spill file ends inside an entry');
    const e = decodeEntry(buf, start + 4);
    start += 4 + len;
    yield e;
  }
}
