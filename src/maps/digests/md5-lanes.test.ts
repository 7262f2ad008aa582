import { createHash, randomBytes } from 'node:crypto';
import { viewOf } from '../byte-copy';
import { seededRandom } from '../testing/seeded-random';
import { MAX_LANE_MESSAGE, Md5Lanes } from './md5-lanes';
import { LANES } from './md5-simd-wat';

const reference = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

describe('Md5Lanes', () => {
  const lanes = Md5Lanes.create();

  it('is available on this host (Node 20 has WebAssembly SIMD)', () => {
    expect(lanes).not.toBeNull();
  });

  it('is null, not an error, where there is no WebAssembly (node --jitless)', () => {
    const wasm = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')!;
    delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
    try {
      jest.isolateModules(() => {
        const fresh = jest.requireActual<typeof import('./md5-lanes')>('./md5-lanes');
        expect(fresh.Md5Lanes.create()).toBeNull();
      });
    } finally {
      Object.defineProperty(globalThis, 'WebAssembly', wasm);
    }
  });

  it('writes each message digest into its hole, for every length and any number pending', () => {
    const l = lanes!;
    const rand = seededRandom(7);
    // Holes spread over three buffers, at odd offsets, between bytes that must stay as they are.
    const outs = [
      Buffer.alloc(40 * 1000, 0x2e),
      Buffer.alloc(40 * 1000, 0x2e),
      Buffer.alloc(40 * 1000, 0x2e),
    ];
    const views = outs.map((o) => viewOf(o));
    const want = outs.map((o) => Buffer.from(o));
    let next = 0;
    for (let i = 0; i < 1000; i++) {
      // Every length 0..55 several times; messages read from inside a larger buffer.
      const n = i < 56 ? i : Math.floor(rand() * (MAX_LANE_MESSAGE + 1));
      const src = randomBytes(n + 10);
      const start = Math.floor(rand() * 10);
      const o = Math.floor(rand() * 3);
      const at = 40 * (next++ % 1000) + 1 + Math.floor(rand() * 7);
      if (want[o]![at] !== 0x2e) continue; // a hole already used in that buffer
      l.put(src, viewOf(src), start, start + n, views[o]!, at);
      want[o]!.write(reference(src.subarray(start, start + n)), at, 'latin1');
      // Settled now and then, with 1, 2 or 3 pending (4 settle by themselves).
      if (rand() < 0.2) l.settle();
    }
    l.settle();
    outs.forEach((o, k) => expect(o.toString('latin1')).toBe(want[k]!.toString('latin1')));
  });

  it('leaves a hole as it is until all lanes are pending or settle runs', () => {
    const l = lanes!;
    const out = Buffer.alloc(LANES * 32, 0x2e);
    const v = viewOf(out);
    const msg = Buffer.from('label 1');
    for (let k = 0; k < LANES - 1; k++) {
      l.put(msg, viewOf(msg), 0, msg.length, v, 32 * k);
      expect(out.toString('latin1')).toBe('.'.repeat(32 * LANES));
    }
    l.put(msg, viewOf(msg), 0, msg.length, v, 32 * (LANES - 1));
    expect(out.toString('latin1')).toBe(reference(msg).repeat(LANES));
    const before = l.hashed;
    l.settle(); // nothing pending: nothing written, nothing counted
    expect(l.hashed).toBe(before);
  });

  it('gives the same digests for messages whose blocks follow longer ones (no stale bytes)', () => {
    const l = lanes!;
    const out = Buffer.alloc(2 * LANES * 32);
    const v = viewOf(out);
    const long = Buffer.alloc(MAX_LANE_MESSAGE, 0xff);
    for (let k = 0; k < LANES; k++) l.put(long, viewOf(long), 0, long.length, v, 32 * k);
    const short = Array.from({ length: LANES }, (_, k) => Buffer.from('abc'.repeat(k * 2 + 1)));
    short.forEach((s, k) => l.put(s, viewOf(s), 0, s.length, v, 32 * (LANES + k)));
    expect(out.toString('latin1', 32 * LANES)).toBe(short.map(reference).join(''));
  });
});
