import { createHash } from 'node:crypto';
import { seededRandom } from '../testing/seeded-random';
import { SLOTS } from './digest-ring';
import { DigestQueue } from './digest-queue';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/**
 * `count` random messages (0 to 55 bytes, any bytes) posted into the queue, each given a hole in
 * a buffer of lines as a map writes them (a new buffer now and then, as the writer's); the holes
 * filled by `settle` every `settleEvery` messages and at the end. Returns each hole's digits and
 * the digest node:crypto makes of its message.
 */
function run(queue: DigestQueue, count: number, settleEvery: number) {
  const r = seededRandom(count + settleEvery);
  const holes: Array<{ buf: Buffer; at: number; want: string }> = [];
  let buf = Buffer.alloc(64 * 1024);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const msg = Buffer.from(Array.from({ length: Math.floor(r() * 56) }, () => r() * 256));
    const src = Buffer.concat([Buffer.from('xx'), msg, Buffer.from('yy')]);
    queue.reserve(1);
    const n = queue.post(src, 2, 2 + msg.length);
    if (pos + 40 > buf.length || r() < 0.001) {
      buf = Buffer.alloc(64 * 1024);
      pos = 0;
    }
    buf.fill(0x2a, pos, pos + 40);
    queue.hole(buf, pos + 4, n);
    holes.push({ buf, at: pos + 4, want: md5(msg) });
    pos += 40;
    if ((i + 1) % settleEvery === 0) queue.settle();
  }
  queue.settle();
  return holes.map((h) => {
    // The bytes around the digits are untouched.
    expect(
      h.buf.toString('latin1', h.at - 4, h.at) + h.buf.toString('latin1', h.at + 32, h.at + 36),
    ).toBe('********');
    return [h.buf.toString('latin1', h.at, h.at + 32), h.want];
  });
}

describe('DigestQueue', () => {
  it('fills every hole with the MD5 of its message, made on its thread', () => {
    const q = new DigestQueue({ waitMs: 30_000 });
    try {
      // More messages than the ring holds, settled at every size around it.
      const got = run(q, 3 * SLOTS + 17, 1000);
      for (const [digits, want] of got) expect(digits).toBe(want);
      expect(q.messages).toBe(3 * SLOTS + 17);
      expect(q.hashedHere).toBe(0);
    } finally {
      q.stop();
    }
  });

  it('makes the digests itself without a thread, the same digits', () => {
    const q = new DigestQueue({ thread: false });
    const got = run(q, 2 * SLOTS + 5, 3000);
    for (const [digits, want] of got) expect(digits).toBe(want);
    expect(q.hashedHere).toBe(2 * SLOTS + 5);
  });

  it('keeps going when its thread stops mid-run', () => {
    const q = new DigestQueue({ waitMs: 30_000 });
    const before = run(q, 500, 100);
    q.stop();
    const after = run(q, SLOTS + 3, 700);
    for (const [digits, want] of [...before, ...after]) expect(digits).toBe(want);
    expect(q.hashedHere).toBe(SLOTS + 3);
  });

  it('counts messages past 2^31 (the counters wrap as int32s)', () => {
    const q = new DigestQueue({ waitMs: 30_000, first: 2 ** 31 - 300 });
    try {
      const got = run(q, SLOTS + 600, 250);
      for (const [digits, want] of got) expect(digits).toBe(want);
      expect(q.hashedHere).toBe(0);
    } finally {
      q.stop();
    }
  });

  it('fills the holes so far when the ring is full, before a message takes a slot again', () => {
    const q = new DigestQueue({ thread: false });
    // Never settled by the caller: reserve() settles each time SLOTS messages are out.
    const got = run(q, 3 * SLOTS, Number.MAX_SAFE_INTEGER);
    for (const [digits, want] of got) expect(digits).toBe(want);
  });
});
