import { createWriteStream, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { RuntimeError } from '../errors';
import { SingerWriter } from './writer';

function collect(): { out: PassThrough; text: () => string; writes: () => number } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  let writes = 0;
  const origWrite = out.write.bind(out);
  out.write = ((chunk: string | Buffer, ...rest: never[]) => {
    writes += 1;
    return origWrite(chunk, ...rest);
  }) as typeof out.write;
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8'), writes: () => writes };
}

const start = {
  stream: 'public-t',
  schema: { type: 'object', properties: { id: { type: 'integer' } } },
  keyProperties: ['id'],
  bookmarkProperties: [],
};

describe('SingerWriter', () => {
  it('writes one JSON object per line, SCHEMA before RECORD, with version and time_extracted', async () => {
    const c = collect();
    const w = new SingerWriter(c.out);
    const s = w.beginStream({ ...start, version: 1700000000000 });
    s.setExtractedAt(new Date('2024-01-02T03:04:05.678Z'));
    s.record('"id":9007199254740993');
    w.state({ bookmarks: { 'public-t': { version: 1700000000000 } } });
    await w.flush();
    const lines = c.text().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['SCHEMA', 'RECORD', 'STATE']);
    expect(JSON.parse(lines[0]!)).toEqual({
      type: 'SCHEMA',
      stream: 'public-t',
      schema: start.schema,
      key_properties: ['id'],
      bookmark_properties: [],
    });
    // The digits are spliced in as printed, never through a JS number.
    expect(lines[1]).toBe(
      '{"type":"RECORD","stream":"public-t","record":{"id":9007199254740993},"version":1700000000000,"time_extracted":"2024-01-02T03:04:05.678Z"}',
    );
  });

  it('leaves version out for streams without ACTIVATE_VERSION', async () => {
    const c = collect();
    const w = new SingerWriter(c.out);
    w.beginStream(start).record('"id":1');
    await w.flush();
    expect(JSON.parse(c.text().split('\n')[1]!)).not.toHaveProperty('version');
  });

  it('writes records in large chunks, not one write per record', async () => {
    const c = collect();
    const w = new SingerWriter(c.out, JSON.stringify, { chunkBytes: 64 * 1024 });
    const s = w.beginStream(start);
    let flushes = 0;
    for (let i = 0; i < 10000; i++) {
      if (s.record(`"id":${i}`)) {
        flushes += 1;
        await w.flush();
      }
    }
    await w.flush();
    expect(c.text().split('\n')).toHaveLength(10002);
    expect(flushes).toBeGreaterThan(5);
    expect(c.writes()).toBeLessThanOrEqual(flushes + 1);
  });

  it('keeps every byte when it reuses its buffers (a file descriptor) and when it must not (a PassThrough)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'writer-'));
    const path = join(dir, 'out');
    const file = createWriteStream(path, { fd: openSync(path, 'w') });
    const c = collect();
    const want: string[] = [];
    for (const out of [file, c.out]) {
      const w = new SingerWriter(out, JSON.stringify, { chunkBytes: 4096 });
      const s = w.beginStream(start);
      want.length = 0;
      for (let i = 0; i < 20000; i++) {
        const body = `"id":${i},"pad":"${'x'.repeat(i % 300)}"`;
        want.push(body);
        if (s.record(body)) {
          await w.flush();
          // As between socket reads: the write callbacks run, and buffers come back for reuse.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      await w.flush();
    }
    await new Promise<void>((resolve) => file.end(resolve));
    for (const text of [readFileSync(path, 'utf8'), c.text()]) {
      const bodies = text
        .split('\n')
        .slice(1, -1)
        .map((l) => /"record":\{(.*)\},"time_extracted"/.exec(l)![1]);
      expect(bodies).toEqual(want);
    }
    rmSync(dir, { recursive: true });
  });

  it('hands the output whole lines in every write (what the output gate relies on)', async () => {
    const out = new PassThrough();
    const writes: string[] = [];
    out.on('data', (c: Buffer) => writes.push(c.toString('utf8')));
    // Lines longer than the buffer's spare room, so they start in one buffer and end in another.
    const w = new SingerWriter(out, JSON.stringify, { chunkBytes: 1000 });
    const s = w.beginStream(start);
    for (let i = 0; i < 2000; i++) {
      if (s.record(`"id":${i},"pad":"${'y'.repeat((i * 7919) % 40000)}"`)) await w.flush();
    }
    await w.flush();
    expect(writes.length).toBeGreaterThan(100);
    for (const chunk of writes) expect(chunk.endsWith('\n')).toBe(true);
    expect(writes.join('').split('\n')).toHaveLength(2002);
  });

  it('drops a STATE identical to the previous one', async () => {
    const c = collect();
    const w = new SingerWriter(c.out);
    w.state({ a: 1 });
    w.state({ a: 1 });
    w.state({ a: 2 });
    await w.flush();
    expect(c.text().trim().split('\n')).toEqual([
      '{"type":"STATE","value":{"a":1}}',
      '{"type":"STATE","value":{"a":2}}',
    ]);
  });

  it('waits for a slow consumer instead of buffering (backpressure)', async () => {
    let release: (() => void) | undefined;
    let received = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        release = cb; // completes only when the test says so
      },
    });
    const w = new SingerWriter(slow, JSON.stringify, { chunkBytes: 32 * 1024 });
    const s = w.beginStream(start);
    const body = `"id":1,"pad":"${'x'.repeat(1000)}"`;
    while (!s.record(body));
    let done = false;
    const flushing = w.flush().then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false); // the consumer has not taken the chunk: the producer waits
    expect(received).toBeGreaterThan(32 * 1024 - 2000);
    release!();
    await flushing;
    expect(done).toBe(true);
  });

  it('fails with a clear error when the consumer closes the pipe', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        const e = new Error('write EPIPE') as NodeJS.ErrnoException;
        e.code = 'EPIPE';
        cb(e);
      },
    });
    const w = new SingerWriter(broken);
    w.beginStream(start).record('"id":1');
    await w.flush().catch(() => {});
    await new Promise((r) => setImmediate(r));
    w.state({});
    await expect(w.flush()).rejects.toThrow(RuntimeError);
    await expect(w.flush()).rejects.toThrow(/stdout closed \(EPIPE\)/);
  });
});

describe('SingerWriter write barriers', () => {
  /** A barrier that writes `digit` into `buf[at]` when it settles, as md5 lanes fill their holes. */
  const hole = (buf: Buffer, at: number, digit: string) => ({
    settle: () => void (buf[at] = digit.charCodeAt(0)),
  });

  /** A record line `{"id":0}` written into the writer as bytes; where its `0` is. */
  function recordLine(w: SingerWriter): number {
    w.beginStream(start);
    w.lineStart = w.pos;
    const line = Buffer.from('{"type":"RECORD","stream":"public-t","record":{"id":0}}\n');
    w.reserve(line.length);
    line.copy(w.buf, w.pos);
    const at = w.pos + line.indexOf('0}');
    w.pos += line.length;
    w.recordEnd();
    return at;
  }

  it('settles every barrier before it writes buffered lines, so what they fill goes out', async () => {
    const c = collect();
    const w = new SingerWriter(c.out);
    const at = recordLine(w);
    const writesAtSettle: number[] = [];
    const barrier = hole(w.buf, at, '7');
    const counted = { settle: () => (writesAtSettle.push(c.writes()), barrier.settle()) };
    w.addBarrier(counted);
    w.addBarrier(counted);
    await w.flush();
    expect(JSON.parse(c.text().split('\n')[1]!).record).toEqual({ id: 7 });
    // Once per flush (however often added), before its first write; not for an empty flush.
    expect(writesAtSettle).toEqual([0]);
    await w.flush();
    expect(writesAtSettle).toEqual([0]);
  });

  it('settles them before it moves an unfinished line to a new buffer', async () => {
    const c = collect();
    const w = new SingerWriter(c.out);
    w.beginStream(start);
    // An unfinished line with a hole, then more room than its buffer has: the line moves.
    w.lineStart = w.pos;
    const head = Buffer.from('{"type":"RECORD","stream":"public-t","record":{"id":0');
    w.reserve(head.length);
    head.copy(w.buf, w.pos);
    const old = w.buf;
    w.addBarrier(hole(old, w.pos + head.length - 1, '8'));
    w.pos += head.length;
    w.reserve(old.length * 2);
    expect(w.buf).not.toBe(old);
    w.pos += w.buf.write('}}\n', w.pos);
    w.recordEnd();
    await w.flush();
    expect(JSON.parse(c.text().split('\n')[1]!).record).toEqual({ id: 8 });
  });
});

describe('SingerWriter state listener (--state-out)', () => {
  it('hears the last STATE of a chunk only once stdout has taken the chunk', async () => {
    const c = collect();
    const heard: string[] = [];
    const w = new SingerWriter(c.out, JSON.stringify, { onStateWritten: (v) => heard.push(v) });
    const s = w.beginStream(start);
    s.record('"id":1');
    w.state({ n: 1 });
    s.record('"id":2');
    w.state({ n: 2 });
    expect(heard).toEqual([]);
    await w.flush();
    expect(c.text()).toContain('{"type":"STATE","value":{"n":2}}\n');
    expect(heard).toEqual(['{"n":2}']);
    s.record('"id":3');
    await w.flush(); // no STATE in this chunk
    expect(heard).toEqual(['{"n":2}']);
  });

  it('counts the records of each stream', () => {
    const w = new SingerWriter(collect().out);
    const s = w.beginStream(start);
    s.record('"id":1');
    s.record('"id":2');
    w.beginStream(start).record('"id":3'); // a new SCHEMA, same stream
    expect(w.counter('public-t').n).toBe(3);
    expect(w.counter('public-other').n).toBe(0);
  });
});

describe('SingerWriter lines made on another thread (PendingLines)', () => {
  /** Pending lines resolved by hand: `make` settles them. */
  function pending(): {
    p: { lines(): Promise<Buffer>; release(): void };
    make(text: string): void;
    fail(e: Error): void;
    asked: () => boolean;
  } {
    let resolve: (b: Buffer) => void = () => {};
    let reject: (e: Error) => void = () => {};
    const result = new Promise<Buffer>((res, rej) => ((resolve = res), (reject = rej)));
    result.catch(() => {});
    let asked = false;
    return {
      p: {
        lines: () => ((asked = true), result),
        release: () => {},
      },
      make: (text) => resolve(Buffer.from(text)),
      fail: (e) => reject(e),
      asked: () => asked,
    };
  }

  it('keeps their place: what is written after them goes out after them, whenever they are made', async () => {
    const c = collect();
    const w = new SingerWriter(c.out);
    const s = w.beginStream(start);
    s.setExtractedAt(new Date('2024-01-02T03:04:05.678Z'));
    s.record('"id":1');
    const a = pending();
    const b = pending();
    w.appendPending(a.p);
    expect(w.isLast(a.p)).toBe(true);
    w.state({ n: 1 });
    expect(w.isLast(a.p)).toBe(false);
    w.appendPending(b.p);
    const flushed = w.flush();
    // Made in the other order than they stand.
    b.make('{"type":"RECORD","stream":"public-t","record":{"id":3}}\n');
    await new Promise((r) => setImmediate(r));
    expect(c.text()).toBe('');
    a.make('{"type":"RECORD","stream":"public-t","record":{"id":2}}\n');
    await flushed;
    const lines = c
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      lines.map((l) => (l.type === 'RECORD' ? (l.record as { id: number }).id : l.type)),
    ).toEqual(['SCHEMA', 1, 2, 'STATE', 3]);
    expect(a.asked() && b.asked()).toBe(true);
  });

  it('counts their announced size toward `full`, and a flush starts from empty again', async () => {
    const c = collect();
    const w = new SingerWriter(c.out, JSON.stringify, { chunkBytes: 1000 });
    const a = pending();
    w.appendPending(a.p);
    expect(w.full).toBe(false);
    w.pendingGrew(1200);
    expect(w.full).toBe(true);
    a.make('');
    await w.flush();
    expect(w.full).toBe(false);
    expect(c.text()).toBe('');
  });

  it('fails the flush with their failure, and reports no STATE behind them as written', async () => {
    const c = collect();
    const heard: string[] = [];
    const w = new SingerWriter(c.out, JSON.stringify, { onStateWritten: (v) => heard.push(v) });
    const a = pending();
    w.appendPending(a.p);
    w.state({ n: 1 });
    a.fail(new RuntimeError('stream map failed'));
    await expect(w.flush()).rejects.toThrow('stream map failed');
    expect(c.text()).toBe('');
    expect(heard).toEqual([]);
  });
});
