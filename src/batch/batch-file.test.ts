import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BatchFile, DURABILITY, partialPath, type DurabilityCalls } from './batch-file';

const dir = () => fs.mkdtempSync(join(tmpdir(), 'batch-file-'));
const written = (f: BatchFile, bytes: Buffer) =>
  new Promise<void>((resolve) => f.write(bytes, resolve));

describe('BatchFile', () => {
  it('is written under a partial name, then fsynced, renamed and its directory fsynced before complete() resolves', async () => {
    const events: string[] = [];
    const logged: DurabilityCalls = {
      fsync: async (fd) => {
        await DURABILITY.fsync(fd);
        events.push('fsync file');
      },
      rename: async (a, b) => {
        expect(events).toEqual(['fsync file']);
        await DURABILITY.rename(a, b);
        events.push('rename');
      },
      syncDirectory: async (d) => {
        await DURABILITY.syncDirectory(d);
        events.push('fsync directory');
      },
    };
    const path = join(dir(), 'a.json.gz');
    const f = new BatchFile(path, 'gzip', 1, logged);
    const lines = Array.from({ length: 5000 }, (_, i) => `{"id":${i},"s":"é\\n"}\n`).join('');
    const bytes = Buffer.from(lines);
    await Promise.all([
      written(f, bytes.subarray(0, 1000)),
      written(f, bytes.subarray(1000, 70_000)),
      written(f, bytes.subarray(70_000)),
    ]);
    expect(fs.existsSync(path)).toBe(false);
    expect(fs.existsSync(partialPath(path))).toBe(true);
    await f.complete().then(() => events.push('resolved'));
    expect(events).toEqual(['fsync file', 'rename', 'fsync directory', 'resolved']);
    expect(fs.existsSync(partialPath(path))).toBe(false);
    expect(gunzipSync(fs.readFileSync(path)).toString('utf8')).toBe(lines);
    // Idempotent: the same completion.
    await f.complete();
  });

  it('uncompressed: the bytes as written', async () => {
    const path = join(dir(), 'b.json');
    const f = new BatchFile(path, 'none', 1);
    f.write(Buffer.from('{"a":1}\n'), () => {});
    f.write(Buffer.from('{"a":2}\n'), () => {});
    await f.complete();
    expect(fs.readFileSync(path, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });

  it('a file that cannot be written rejects complete(), and no final file appears', async () => {
    const path = join(dir(), 'missing-dir', 'c.json.gz');
    const f = new BatchFile(path, 'gzip', 1);
    // `done` comes also after a failure (the caller counts bytes in flight by it), but gzip may
    // call it after complete() has rejected: the test waits for it (and times out without it).
    const done = new Promise<void>((resolve) => f.write(Buffer.from('{}\n'), resolve));
    await expect(f.complete()).rejects.toThrow(/ENOENT/);
    await done;
    expect(f.error).toBeDefined();
    expect(fs.existsSync(path)).toBe(false);
  });

  it('never replaces an existing file', async () => {
    const d = dir();
    const path = join(d, 'd.json');
    fs.writeFileSync(partialPath(path), 'someone else');
    const f = new BatchFile(path, 'none', 1);
    f.write(Buffer.from('{}\n'), () => {});
    await expect(f.complete()).rejects.toThrow(/EEXIST/);
    expect(fs.readFileSync(partialPath(path), 'utf8')).toBe('someone else');
  });
});
