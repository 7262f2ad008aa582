import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BufferedEntry } from './change-encoder';
import { EntryWriter, readEntries } from './entry-codec';

/** Rough bytes an entry takes on the heap: strings are UTF-16, arrays and objects have headers. */
function heapBytes(e: BufferedEntry): number {
  if (e.kind === 'truncate') return 64 + 8 * e.layoutIds.length;
  if (e.kind === 'key-lost') return 48;
  let n = 96 + 8 * e.missing.length;
  for (const t of e.texts) n += 16 + (t === null ? 0 : 2 * t.length);
  for (const t of e.key ?? []) n += 16 + (t === null ? 0 : 2 * t.length);
  return n;
}

/**
 * A temporary file that is already unlinked: it lives only as long as its descriptor, so a run
 * that ends in any way (crash and SIGKILL included) leaves nothing behind.
 */
class SpillFile {
  private readonly fd: number;
  private size = 0;
  private path: string | null;

  constructor(dir: string) {
    this.path = join(dir, `tap-postgres-tx-${process.pid}-${randomBytes(6).toString('hex')}`);
    this.fd = openSync(this.path, 'wx+', 0o600);
    try {
      unlinkSync(this.path);
      this.path = null;
    } catch {
      // A platform that cannot unlink an open file: removed by close() instead.
    }
  }

  get bytes(): number {
    return this.size;
  }

  append(chunk: Buffer): void {
    let done = 0;
    while (done < chunk.length) {
      done += writeSync(this.fd, chunk, done, chunk.length - done, this.size + done);
    }
    this.size += chunk.length;
  }

  read(buf: Buffer, offset: number, length: number, position: number): number {
    if (position >= this.size) return 0;
    return readSync(this.fd, buf, offset, Math.min(length, this.size - position), position);
  }

  close(): void {
    closeSync(this.fd);
    if (this.path) unlinkSync(this.path);
  }
}

/**
 * One transaction's changes until its Commit. They stay in memory up to `thresholdBytes`; past
 * it, everything goes to a temporary file in a compact binary form and is read back, in order,
 * one chunk at a time, so a transaction of millions of rows costs disk, not memory.
 */
export class TransactionBuffer {
  private memory: BufferedEntry[] = [];
  private memoryBytes = 0;
  private file: SpillFile | null = null;
  private writer: EntryWriter | null = null;
  private count = 0;
  /** Transactions that went to disk during the run (for logs and tests). */
  spills = 0;

  constructor(
    private readonly thresholdBytes: number,
    private readonly onSpill: (changes: number) => void = () => {},
    private readonly dir: string = tmpdir(),
  ) {}

  get size(): number {
    return this.count;
  }

  /** Whether the current transaction went to disk. */
  get spilled(): boolean {
    return this.file !== null;
  }

  /** Bytes spilled for the current transaction (0 while it is in memory). */
  get spilledBytes(): number {
    return (this.file?.bytes ?? 0) + (this.writer?.pending ?? 0);
  }

  append(e: BufferedEntry): void {
    this.count += 1;
    if (this.writer) {
      this.writer.write(e);
      return;
    }
    this.memory.push(e);
    this.memoryBytes += heapBytes(e);
    if (this.memoryBytes > this.thresholdBytes) this.spill();
  }

  /** The entries in the order they were appended. */
  *entries(): Generator<BufferedEntry> {
    if (!this.file || !this.writer) {
      yield* this.memory;
      return;
    }
    this.writer.flush();
    const file = this.file;
    yield* readEntries((buf, offset, length, position) => file.read(buf, offset, length, position));
  }

  /** Forgets the transaction (after its Commit, or when the run ends mid-transaction). */
  clear(): void {
    this.memory = [];
    this.memoryBytes = 0;
    this.count = 0;
    this.writer = null;
    const file = this.file;
    this.file = null;
    file?.close();
  }

  private spill(): void {
    const file = new SpillFile(this.dir);
    this.file = file;
    this.writer = new EntryWriter((chunk) => file.append(chunk));
    for (const e of this.memory) this.writer.write(e);
    this.memory = [];
    this.memoryBytes = 0;
    this.spills += 1;
    this.onSpill(this.count);
  }
}
