import { createWriteStream, fsync, close, type WriteStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { BatchCompression } from './batch-config';

/** Where a file is written until it is complete: no reader ever sees a file under its final name half written. */
export const partialPath = (path: string): string => `${path}.partial`;

/** The calls that make a file durable; a test passes its own to see their order. */
export interface DurabilityCalls {
  fsync(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  syncDirectory(dir: string): Promise<void>;
}

export const DURABILITY: DurabilityCalls = {
  fsync: (fd) => new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve()))),
  rename,
  syncDirectory,
};

/**
 * One batch file: bytes go through gzip (zlib's stream, which compresses in libuv's thread pool,
 * never on the thread that encodes records) into `<path>.partial`; `complete()` ends it, fsyncs
 * it, renames it to `path` and fsyncs the directory, so once it resolves the file survives a
 * crash of the machine under its final name.
 */
export class BatchFile {
  private readonly file: WriteStream;
  /** Where writes go: the gzip stream, or the file itself. */
  private readonly head: Writable;
  private failure: Error | undefined;
  private completion: Promise<void> | undefined;

  constructor(
    readonly path: string,
    compression: BatchCompression,
    gzipLevel: number,
    private readonly calls: DurabilityCalls = DURABILITY,
  ) {
    // autoClose off: the descriptor is still open at 'finish', for the fsync.
    this.file = createWriteStream(partialPath(path), { flags: 'wx', autoClose: false });
    this.file.on('error', (e: Error) => (this.failure ??= e));
    if (compression === 'gzip') {
      // 64 KB of output per call into the thread pool, not zlib's 16 KB: fewer round trips to
      // this thread (measured: about a third faster on JSON lines).
      const gzip = createGzip({ level: gzipLevel, chunkSize: 64 * 1024 });
      gzip.on('error', (e: Error) => (this.failure ??= e));
      // pipe() stops reading gzip's output while the file is behind: gzip then holds back the
      // callbacks of `write`, which is how a slow disk reaches the tap (see BatchFile.write).
      gzip.pipe(this.file);
      this.head = gzip;
    } else {
      this.head = this.file;
    }
  }

  /** The first write or file error, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * Appends `bytes`; `done` is called once they have left the tap's memory (compressed and
   * handed to the file), also after a failure, so a caller may count bytes in flight by it.
   */
  write(bytes: Uint8Array, done: () => void): void {
    if (this.failure) {
      queueMicrotask(done);
      return;
    }
    this.head.write(bytes, () => done());
  }

  /** Ends the file and makes it durable under its final name (idempotent). */
  complete(): Promise<void> {
    this.completion ??= this.finish();
    return this.completion;
  }

  private async finish(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const onError = (e: Error) => reject(e);
      this.file.once('error', onError);
      this.head.once('error', onError);
      this.file.once('finish', () => resolve());
      this.head.end();
    });
    const fd = (this.file as WriteStream & { fd: number }).fd;
    try {
      await this.calls.fsync(fd);
    } finally {
      await new Promise<void>((resolve) => close(fd, () => resolve()));
    }
    await this.calls.rename(partialPath(this.path), this.path);
    await this.calls.syncDirectory(dirname(this.path));
  }
}

/**
 * A rename is durable once the directory is: fsync on the directory (Linux, macOS). A file system
 * that cannot fsync a directory says EINVAL (some network ones), which then has nothing to make
 * durable.
 */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync().catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EINVAL' && e.code !== 'EISDIR' && e.code !== 'EPERM') throw e;
    });
  } finally {
    await handle.close();
  }
}
