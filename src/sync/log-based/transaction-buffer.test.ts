import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BufferedEntry } from './change-encoder';
import { EntryWriter, readEntries } from './entry-codec';
import { TransactionBuffer } from './transaction-buffer';

const change = (i: number): BufferedEntry => ({
  kind: 'change',
  layoutId: 1 + (i % 3),
  deleted: i % 5 === 0,
  texts: [String(i), i % 7 === 0 ? null : `välue ${i} 😀`, ''],
  missing: i % 11 === 0 ? [1] : [],
  key: i % 11 === 0 ? [String(i)] : null,
});

describe('entry codec', () => {
  it('reads back exactly what was written, across chunk boundaries and entries larger than a chunk', () => {
    const chunks: Buffer[] = [];
    const w = new EntryWriter((c) => chunks.push(Buffer.from(c)), 64);
    const entries: BufferedEntry[] = [
      ...Array.from({ length: 200 }, (_, i) => change(i)),
      { kind: 'truncate', layoutIds: [1, 4_000_000_000] },
      { kind: 'key-lost', layoutId: 4_000_000_001 },
      change(200),
      { ...(change(3) as object), texts: ['x'.repeat(1000)] } as BufferedEntry,
    ];
    for (const e of entries) w.write(e);
    w.flush();
    const file = Buffer.concat(chunks);
    const read = (buf: Buffer, offset: number, length: number, position: number) =>
      file.copy(buf, offset, position, Math.min(file.length, position + length));
    expect([...readEntries(read, 32)]).toEqual(entries);
  });
});

describe('TransactionBuffer', () => {
  it('keeps a small transaction in memory', () => {
    const b = new TransactionBuffer(1024 * 1024);
    for (let i = 0; i < 10; i++) b.append(change(i));
    expect(b.spilledBytes).toBe(0);
    expect([...b.entries()]).toEqual(Array.from({ length: 10 }, (_, i) => change(i)));
  });

  it('spills past the threshold, returns every entry in order, and leaves no file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tx-buffer-'));
    const spilled: number[] = [];
    const b = new TransactionBuffer(10_000, (n) => spilled.push(n), dir);
    for (let i = 0; i < 5000; i++) b.append(change(i));
    expect(spilled.length).toBe(1);
    expect(b.spilledBytes).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual([]); // unlinked while open
    expect([...b.entries()]).toEqual(Array.from({ length: 5000 }, (_, i) => change(i)));
    b.clear();
    expect(b.size).toBe(0);
    b.append(change(1));
    expect([...b.entries()]).toEqual([change(1)]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
