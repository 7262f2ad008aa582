import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { RuntimeError } from '../../errors';
import { startWorkers } from '../../threads/start-worker';
import type { MappedStreamSetup, MapWorkerReply, MapWorkerRequest } from './protocol';

/** The worker's compiled script; run from TypeScript sources (jest), the built one in dist/. */
const WORKER_SCRIPT = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', '..', 'dist', 'maps', 'worker', 'map-worker.js')
  : join(__dirname, 'map-worker.js');

/** A job: source lines (views of the start of buffers the job transfers to the worker). */
export interface MapJob {
  readonly lines: Buffer;
  /** Bytes of each line before its record's first key. */
  readonly skip: number;
  /** The bodies' RecordIndex and the lines' end, or undefined to have the worker scan the lines. */
  readonly index: Int32Array | undefined;
  readonly suffix: Buffer | undefined;
  readonly columns: number;
  readonly layout: number;
  /** Records in `lines`. */
  readonly records: number;
}

/** A job's buffers, back from the worker for the next job. */
export interface MapJobBuffers {
  readonly input: ArrayBuffer;
  readonly index: ArrayBuffer | undefined;
}

interface Waiting {
  resolve(lines: Buffer): void;
  reject(e: Error): void;
  /** Where the request's buffers go back to. */
  giveBack(m: MapJobBuffers): void;
}

/**
 * The main thread's side of the map worker: one thread for the run, started by the first stream
 * that has enough records to pay for it, shared by every mapped stream after. It keeps the process
 * alive only while a job is out, so a run that ends (or fails) never waits for it.
 */
export class MapWorker {
  /** Whether the worker has loaded its modules (jobs sent before then wait in its queue). */
  ready = false;
  /** Records sent to the worker so far. */
  records = 0;
  private readonly worker: Worker;
  private nextId = 1;
  private nextSeq = 1;
  private readonly waiting = new Map<number, Waiting>();
  private failure: Error | undefined;

  constructor() {
    // Expressions make short-lived values for every record: a young generation of a few MB
    // collects them without promoting any.
    [this.worker] = startWorkers(WORKER_SCRIPT, [undefined], 4) as [Worker];
    this.worker.unref();
    this.worker.on('message', (m: MapWorkerReply) => this.onReply(m));
    this.worker.on('error', (e) =>
      this.fail(new RuntimeError(`stream map worker failed: ${e.message}`)),
    );
    this.worker.on('exit', (code) =>
      this.fail(new RuntimeError(`stream map worker stopped (exit code ${code})`)),
    );
  }

  /** Sets up a mapped stream in the worker; its id is what `map` is given. */
  open(setup: MappedStreamSetup): number {
    const id = this.nextId++;
    this.send({ kind: 'open', id, setup });
    return id;
  }

  /**
   * The output lines of the source lines `lines` (a view of the start of a buffer it may transfer:
   * the buffer comes back through `giveBack` once the worker is done with it).
   */
  map(id: number, job: MapJob, giveBack: (m: MapJobBuffers) => void): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.nextSeq++;
    this.records += job.records;
    const result = new Promise<Buffer>((resolve, reject) =>
      this.waiting.set(seq, { resolve, reject, giveBack }),
    );
    if (this.waiting.size === 1) this.worker.ref();
    const { lines, index } = job;
    const view = new Uint8Array(lines.buffer, lines.byteOffset, lines.length);
    const transfer = [lines.buffer as ArrayBuffer];
    if (index) transfer.push(index.buffer as ArrayBuffer);
    this.send(
      {
        kind: 'map',
        id,
        seq,
        lines: view,
        skip: job.skip,
        columns: job.columns,
        layout: job.layout,
        // A copy of the suffix's own bytes: a Buffer from the pool would be cloned with its pool.
        ...(index ? { index, suffix: Uint8Array.from(job.suffix!) } : {}),
      },
      transfer,
    );
    return result;
  }

  /** An output buffer that has been written, for the worker to fill again. */
  giveBack(buffer: ArrayBuffer): void {
    if (!this.failure) this.send({ kind: 'give-back', buffer }, [buffer]);
  }

  private send(m: MapWorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  private onReply(m: MapWorkerReply): void {
    if (m.kind === 'ready') {
      this.ready = true;
      return;
    }
    const w = this.waiting.get(m.seq);
    if (!w) return;
    this.waiting.delete(m.seq);
    if (this.waiting.size === 0) this.worker.unref();
    if (m.kind === 'failed') {
      const e = m.runtime ? new RuntimeError(m.message) : new Error(m.message);
      this.fail(e);
      w.reject(e);
      return;
    }
    w.giveBack({ input: m.input, index: m.index });
    w.resolve(Buffer.from(m.lines.buffer, m.lines.byteOffset, m.lines.length));
  }

  /** Every job out and every later one fails with `e` (the run fails with the first). */
  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    this.worker.unref();
  }

  /** Stops the thread (the end of the run). */
  async stop(): Promise<void> {
    this.failure ??= new RuntimeError('stream map worker stopped');
    await this.worker.terminate();
  }
}
