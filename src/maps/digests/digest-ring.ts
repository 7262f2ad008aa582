import { md5HexInto } from '../expression/md5';

/**
 * The memory the main thread and the digest thread share: a ring of SLOTS messages (each at most
 * MAX_MESSAGE bytes, at slot × SLOT_BYTES of `input`, its length in `lengths`), their MD5s as hex
 * digits (32 bytes at slot × 32 of `output`), and the counters in `control`. Message n is in slot
 * n % SLOTS; the counters count messages and wrap as int32s (compared by difference only).
 */
export interface DigestRing {
  readonly control: Int32Array;
  readonly input: Uint8Array;
  readonly lengths: Int32Array;
  readonly output: Uint8Array;
}

export const SLOTS = 4096;
/** The longest message MD5 hashes in one block (md5HexInto's own limit). */
export const MAX_MESSAGE = 55;
export const SLOT_BYTES = 64;
export const HEX_BYTES = 32;

/** control[POSTED]: messages the main thread has written. */
export const POSTED = 0;
/** control[DONE]: messages whose digest is in `output`. */
export const DONE = 1;
/** control[SLEEPING]: 1 while the thread waits for messages (the main thread then wakes it). */
export const SLEEPING = 2;
/** control[STOP]: 1 tells the thread to end. */
export const STOP = 3;

export function newDigestRing(): DigestRing {
  return {
    control: new Int32Array(new SharedArrayBuffer(4 * 4)),
    input: new Uint8Array(new SharedArrayBuffer(SLOTS * SLOT_BYTES)),
    lengths: new Int32Array(new SharedArrayBuffer(SLOTS * 4)),
    output: new Uint8Array(new SharedArrayBuffer(SLOTS * HEX_BYTES)),
  };
}

/**
 * Hashes the messages posted and not done yet, in order, then publishes DONE; returns how many.
 * The digest thread's whole work; also how the main thread does a stopped thread's share.
 */
export function hashPosted(ring: DigestRing, outView: DataView): number {
  const { control, input, lengths, output } = ring;
  const posted = Atomics.load(control, POSTED);
  let done = Atomics.load(control, DONE);
  const n = (posted - done) | 0;
  for (; done !== posted; done = (done + 1) | 0) {
    const slot = done & (SLOTS - 1);
    const at = slot * SLOT_BYTES;
    md5HexInto(input, at, at + lengths[slot]!, output, slot * HEX_BYTES, outView);
  }
  Atomics.store(control, DONE, done);
  Atomics.notify(control, DONE);
  return n;
}

/** The digest thread's loop: hash what is posted, sleep until more is, until told to stop. */
export function serveDigests(ring: DigestRing): void {
  const { control, output } = ring;
  const outView = new DataView(output.buffer, output.byteOffset, output.byteLength);
  while (Atomics.load(control, STOP) === 0) {
    if (hashPosted(ring, outView) > 0) continue;
    Atomics.store(control, SLEEPING, 1);
    // Posted between the last look and the flag: the main thread may not have seen the flag.
    const posted = Atomics.load(control, POSTED);
    if (posted === Atomics.load(control, DONE) && Atomics.load(control, STOP) === 0) {
      Atomics.wait(control, POSTED, posted);
    }
    Atomics.store(control, SLEEPING, 0);
  }
}
