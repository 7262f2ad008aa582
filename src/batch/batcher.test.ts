import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { putString } from '../values/byte-sink';
import { parseBatchConfig } from './batch-config';
import { DURABILITY, type DurabilityCalls } from './batch-file';
import { Batcher } from './batcher';

type Op =
  | { kind: 'records'; stream: number; n: number; big: boolean }
  | { kind: 'lines'; stream: number; n: number }
  | { kind: 'state' }
  | { kind: 'flush' }
  | { kind: 'schema'; stream: number }
  | { kind: 'end'; stream: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('records' as const),
    stream: fc.nat(1),
    n: fc.integer({ min: 1, max: 40 }),
    big: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('lines' as const),
    stream: fc.nat(1),
    n: fc.integer({ min: 1, max: 30 }),
  }),
  fc.record({ kind: fc.constant('state' as const) }),
  fc.record({ kind: fc.constant('flush' as const) }),
  fc.record({ kind: fc.constant('schema' as const), stream: fc.nat(1) }),
  fc.record({ kind: fc.constant('end' as const), stream: fc.nat(1) }),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The durability rule, for any sequence of records, STATEs, flushes and copy ends, with file
 * completion taking random time: what reaches "stdout" (lines handed over after `settle`) never
 * names a file before it is complete under its final name, every STATE follows the BATCH
 * messages of every record written before it, and the files hold every record once, in order,
 * at most batch_size each.
 */
describe('Batcher', () => {
  it('a STATE never precedes the BATCH messages of the records before it; a BATCH never precedes its file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 25 }),
        fc.constantFrom('gzip', 'none'),
        fc.array(fc.nat(3), { minLength: 8, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        async (ops, batchSize, compression, delays, waits) => {
          const root = mkdtempSync(join(tmpdir(), 'batcher-'));
          const config = parseBatchConfig({
            encoding: { format: 'jsonl', compression },
            storage: { root: `file://${root}`, prefix: 'p-' },
            batch_size: batchSize,
          })!;
          let d = 0;
          const slow = async () => sleep(delays[d++ % delays.length]!);
          const calls: DurabilityCalls = {
            fsync: async (fd) => {
              await slow();
              await DURABILITY.fsync(fd);
            },
            rename: async (a, b) => {
              await slow();
              await DURABILITY.rename(a, b);
            },
            syncDirectory: DURABILITY.syncDirectory,
          };
          const buffered: string[] = [];
          const stdout: string[] = [];
          const batcher = new Batcher(config, (l) => buffered.push(l), 1, calls);
          // The writer's flush: it may hand nothing over yet (files not durable, buffer not full).
          let f = 0;
          const flush = async (wait = waits[f++ % waits.length]!) => {
            if (!(await batcher.settle(wait))) return;
            for (const l of buffered.splice(0)) {
              if (l.startsWith('{"type":"BATCH"')) {
                const path = fileURLToPath((JSON.parse(l) as { manifest: string[] }).manifest[0]!);
                expect(existsSync(path)).toBe(true);
              }
              stdout.push(l);
            }
          };
          const sinks = [batcher.stream('a'), batcher.stream('b/x')];
          const written = [0, 0];
          let released = 0;
          let expected = 0;
          for (const o of ops) {
            if (o.kind === 'records') {
              for (let i = 0; i < o.n; i++) {
                const s = sinks[o.stream]!;
                putString(s, `{"s":${o.stream},"n":${written[o.stream]!++}`);
                if (o.big) putString(s, `,"pad":"${'x'.repeat(300_000)}"`);
                putString(s, '}\n');
                if (s.recordEnd()) await flush();
              }
            } else if (o.kind === 'lines') {
              let text = '';
              for (let i = 0; i < o.n; i++)
                text += `{"s":${o.stream},"n":${written[o.stream]!++}}\n`;
              expected++;
              sinks[o.stream]!.appendLines(Buffer.from(text), o.n, () => released++);
            } else if (o.kind === 'state') {
              batcher.barrier();
              buffered.push(`STATE ${written.join(',')}`);
            } else if (o.kind === 'flush') {
              await flush();
            } else if (o.kind === 'schema') {
              batcher.barrier(['a', 'b/x'][o.stream]);
            } else {
              batcher.finish(sinks[o.stream]);
              sinks[o.stream] = batcher.stream(['a', 'b/x'][o.stream]!);
            }
          }
          batcher.barrier();
          buffered.push(`STATE ${written.join(',')}`);
          await flush(true);
          expect(buffered).toEqual([]);

          const seen = [0, 0];
          let files = 0;
          for (const l of stdout) {
            if (l.startsWith('STATE ')) {
              const covered = l.slice(6).split(',').map(Number);
              expect(seen).toEqual(covered);
              continue;
            }
            const m = JSON.parse(l) as { stream: string; manifest: string[]; encoding: unknown };
            expect(m.encoding).toEqual({ format: 'jsonl', compression });
            const path = fileURLToPath(m.manifest[0]!);
            expect(path.startsWith(join(root, 'p-tap-postgres--'))).toBe(true);
            const raw = readFileSync(path);
            const lines = (compression === 'gzip' ? gunzipSync(raw) : raw).toString().split('\n');
            expect(lines.pop()).toBe('');
            expect(lines.length).toBeGreaterThan(0);
            expect(lines.length).toBeLessThanOrEqual(batchSize);
            for (const line of lines) {
              const r = JSON.parse(line) as { s: number; n: number };
              expect(m.stream).toBe(['a', 'b/x'][r.s]);
              expect(r.n).toBe(seen[r.s]);
              seen[r.s]! += 1;
            }
            files++;
          }
          expect(seen).toEqual(written);
          expect(released).toBe(expected);
          expect(files).toBeGreaterThanOrEqual(Math.ceil((written[0]! + written[1]!) / batchSize));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a copy holds no buffer before its first record and after its end (a run of many tables)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'batcher-'));
    const config = parseBatchConfig({ encoding: { format: 'jsonl' }, storage: { root } })!;
    const lines: string[] = [];
    const batcher = new Batcher(config, (l) => lines.push(l));
    const sink = batcher.stream('t');
    expect(sink.buf.length).toBe(0);
    putString(sink, '{"id":1}\n');
    sink.recordEnd();
    expect(sink.buf.length).toBeGreaterThan(0);
    batcher.finish(sink);
    expect(sink.buf.length).toBe(0);
    await batcher.settle(true);
    expect(lines).toHaveLength(1);
    expect(
      gunzipSync(readFileSync(fileURLToPath(JSON.parse(lines[0]!).manifest[0]))).toString(),
    ).toBe('{"id":1}\n');
  });

  it('a file that cannot be made durable fails the flush: the STATE after it is never handed over', async () => {
    const root = mkdtempSync(join(tmpdir(), 'batcher-'));
    const config = parseBatchConfig({ encoding: { format: 'jsonl' }, storage: { root } })!;
    const lines: string[] = [];
    const failing: DurabilityCalls = {
      ...DURABILITY,
      fsync: () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })),
    };
    const batcher = new Batcher(config, (l) => lines.push(l), 1, failing);
    const sink = batcher.stream('t');
    putString(sink, '{"id":1}\n');
    sink.recordEnd();
    batcher.barrier();
    lines.push('STATE');
    await expect(batcher.settle(true)).rejects.toThrow(/^batch file .*EIO/);
    expect(readdirSync(root).every((f) => f.endsWith('.partial'))).toBe(true);
  });

  it('records written faster than the file takes them make the tap wait, not the memory grow', async () => {
    const root = mkdtempSync(join(tmpdir(), 'batcher-'));
    const config = parseBatchConfig({
      encoding: { format: 'jsonl', compression: 'none' },
      storage: { root },
      batch_size: 1_000_000,
    })!;
    const batcher = new Batcher(config, () => {});
    const sink = batcher.stream('t');
    const line = `{"pad":"${'x'.repeat(1000)}"}\n`;
    // A synchronous loop: the file takes nothing meanwhile, like a disk that has stalled.
    let asked = 0;
    for (let i = 0; i < 20_000 && asked === 0; i++) {
      putString(sink, line);
      if (sink.recordEnd()) asked = i + 1;
    }
    // Asked to wait after a few MB, not after all 20 MB.
    expect(asked).toBeGreaterThan(0);
    expect(asked * line.length).toBeLessThan(6 * 1024 * 1024);
    await batcher.settle(true);
    expect(batcher.behind).toBe(false);
    batcher.barrier();
    await batcher.settle(true);
  });
});
