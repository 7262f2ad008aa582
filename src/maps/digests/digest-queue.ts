import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorkers } from '../../threads/start-worker';
import { viewOf } from '../byte-copy';
import { md5HexInto } from '../expression/md5';
import {
  DONE,
  HEX_BYTES,
  MAX_MESSAGE,
  newDigestRing,
  POSTED,
  SLEEPING,
  SLOT_BYTES,
  SLOTS,
  STOP,
  type DigestRing,
} from './digest-ring';

/** The thread's compiled script; run from TypeScript sources (jest), the built one in dist/. */
const THREAD_SCRIPT = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', '..', 'dist', 'maps', 'digests', 'digest-thread.js')
  : join(__dirname, 'digest-thread.js');

/** Messages posted and not yet handed to the thread before it is woken. */
const WAKE_EVERY = 256;
/**
 * How long `settle` waits for the thread before hashing what is left itself: the thread needs
 * about 0.2 ms for a chunk's rows, so only a thread that is not running (the machine busy, or
 * stopped) waits this long.
 */
const WAIT_MS = 20;

/**
 * `md5(x)` of a stream map's copied rows made on another thread, the output waiting for it: a
 * row's line is written with a hole where the 32 hex digits go (`post`, then `hole` once the line
 * is complete), and `settle`, which the writer calls before it writes any buffered line, fills
 * every hole. MD5 is a chain of 64 dependent steps per message, about 0.2 µs a row that the main
 * thread (which also reads and encodes the rows) otherwise spends itself: on two cores the
 * server's backend leaves part of the other core idle, and the digests fit there (what the map
 * worker, taking the whole map, does not: docs/performance.md).
 */
export class DigestQueue {
  private readonly ring: DigestRing = newDigestRing();
  private readonly thread: Worker | undefined;
  private stopped = false;
  /** Messages posted, and how many of them the holes so far cover (the oldest not filled yet). */
  private posted = 0;
  private settledTo = 0;
  private unwoken = 0;
  /** The holes to fill: buffer, position, message. */
  private holeBufs: Buffer[] = [];
  private holeAt = new Int32Array(SLOTS);
  private holeMessage = new Int32Array(SLOTS);
  private holes = 0;
  /** A view of the ring's digits. */
  private readonly outView: DataView;
  private readonly waitMs: number;
  /** What `settle` hashed itself because the thread did not keep up (tests, logs). */
  hashedHere = 0;
  /** Messages posted so far. */
  messages = 0;

  constructor(
    opts: {
      /** False: no thread, every digest made by `settle` (as after the thread stopped). */
      thread?: boolean;
      /** How long `settle` waits for the thread (tests wait long on a busy machine). */
      waitMs?: number;
      /** The first message's number (tests: counters about to wrap). */
      first?: number;
    } = {},
  ) {
    this.waitMs = opts.waitMs ?? WAIT_MS;
    if (opts.first !== undefined) {
      this.posted = this.settledTo = opts.first | 0;
      Atomics.store(this.ring.control, POSTED, this.posted);
      Atomics.store(this.ring.control, DONE, this.posted);
    }
    const out = this.ring.output;
    this.outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    if (opts.thread ?? true) {
      [this.thread] = startWorkers(THREAD_SCRIPT, [this.ring], 1) as [Worker];
      this.thread.unref();
      // A thread that fails leaves its share to `settle`, which then waits for it no more.
      this.thread.on('error', () => (this.stopped = true));
      this.thread.on('exit', () => (this.stopped = true));
    } else this.stopped = true;
  }

  /** Whether a message of `bytes` bytes can go to the thread (else the caller hashes it). */
  static takes(bytes: number): boolean {
    return bytes <= MAX_MESSAGE;
  }

  /**
   * Room for `n` more messages: fills the holes so far when the ring has no more (the caller's
   * earlier lines are complete, so every message posted so far has its hole).
   */
  reserve(n: number): void {
    if (((this.posted - this.settledTo) | 0) + n > SLOTS) this.settle();
  }

  /** Posts bytes [start, end) of `src` (at most MAX_MESSAGE), within room `reserve` made; its number. */
  post(src: Uint8Array, start: number, end: number): number {
    const ring = this.ring;
    const n = this.posted;
    const slot = n & (SLOTS - 1);
    const input = ring.input;
    let p = slot * SLOT_BYTES;
    for (let i = start; i < end; i++) input[p++] = src[i]!;
    ring.lengths[slot] = end - start;
    this.posted = (n + 1) | 0;
    this.messages++;
    Atomics.store(ring.control, POSTED, this.posted);
    if (++this.unwoken >= WAKE_EVERY) this.wake();
    return n;
  }

  /** Message `message`'s 32 hex digits go at `at` of `buf`, in a line now complete. */
  hole(buf: Buffer, at: number, message: number): void {
    const k = this.holes++;
    this.holeBufs[k] = buf;
    this.holeAt[k] = at;
    this.holeMessage[k] = message;
  }

  /**
   * Fills every hole: waits for the thread, then copies its digits; a message it has not hashed
   * (it is stopped, or has not run for WAIT_MS) is hashed here, from the message still in its slot.
   */
  settle(): void {
    if (this.holes === 0) {
      this.settledTo = this.posted;
      return;
    }
    const ring = this.ring;
    const control = ring.control;
    this.wake();
    if (!this.stopped) {
      const deadline = Date.now() + this.waitMs;
      for (;;) {
        const done = Atomics.load(control, DONE);
        if (done === this.posted) break;
        const left = deadline - Date.now();
        if (left <= 0) break;
        Atomics.wait(control, DONE, done, left);
      }
    }
    // Only the thread writes DONE and the digits: a message it has passed is in `output`.
    const done = Atomics.load(control, DONE);
    const { input, lengths } = ring;
    const from = this.outView;
    for (let k = 0; k < this.holes; k++) {
      const buf = this.holeBufs[k]!;
      const to = viewOf(buf);
      const message = this.holeMessage[k]!;
      const slot = message & (SLOTS - 1);
      let at = this.holeAt[k]!;
      if (((done - message) | 0) > 0) {
        for (let i = slot * HEX_BYTES, end = i + HEX_BYTES; i < end; i += 4, at += 4) {
          to.setInt32(at, from.getInt32(i));
        }
      } else {
        const start = slot * SLOT_BYTES;
        md5HexInto(input, start, start + lengths[slot]!, buf, at, to);
        this.hashedHere++;
      }
    }
    this.holeBufs.length = 0;
    this.holes = 0;
    this.settledTo = this.posted;
  }

  /** Ends the thread (the run's end); holes still open are filled first. */
  stop(): void {
    this.settle();
    Atomics.store(this.ring.control, STOP, 1);
    this.wake();
    this.stopped = true;
  }

  private wake(): void {
    this.unwoken = 0;
    const control = this.ring.control;
    if (Atomics.load(control, SLEEPING) === 1) Atomics.notify(control, POSTED);
  }
}
