import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors';
import { assertValid } from '../schemas/schema-validator';
import { DEFAULT_BATCH_SIZE, parseBatchConfig, prepareBatchDirectory } from './batch-config';

const jsonl = { format: 'jsonl', compression: 'gzip' };

describe('parseBatchConfig', () => {
  it('reads the Meltano SDK form: file:// root, prefix, batch_size (default 10000)', () => {
    expect(
      parseBatchConfig({ encoding: jsonl, storage: { root: 'file:///data/b', prefix: 'p-' } }),
    ).toEqual({
      format: 'jsonl',
      compression: 'gzip',
      root: '/data/b',
      prefix: 'p-',
      batchSize: DEFAULT_BATCH_SIZE,
    });
    expect(DEFAULT_BATCH_SIZE).toBe(10_000);
  });

  it('resolves a relative root against the working directory, as the SDK strips file:// only', () => {
    const c = parseBatchConfig(
      { encoding: { format: 'jsonl' }, storage: { root: 'file://out/x' }, batch_size: '50' },
      '/work/here',
    );
    expect(c).toMatchObject({
      root: '/work/here/out/x',
      prefix: '',
      compression: 'gzip',
      batchSize: 50,
    });
    expect(parseBatchConfig({ encoding: jsonl, storage: { root: '/abs/./dir/' } })!.root).toBe(
      '/abs/dir',
    );
  });

  it('is null when absent', () => {
    expect(parseBatchConfig(undefined)).toBeNull();
    expect(parseBatchConfig(null)).toBeNull();
  });

  it.each([
    [
      's3 storage',
      { encoding: jsonl, storage: { root: 's3://bucket/p' } },
      /s3:\/\/.*local directory only/,
    ],
    ['gs storage', { encoding: jsonl, storage: { root: 'gs://b' } }, /gs:\/\//],
    [
      'parquet',
      { encoding: { format: 'parquet' }, storage: { root: '/x' } },
      /jsonl batch files only/,
    ],
    [
      'zstd',
      { encoding: { format: 'jsonl', compression: 'zstd' }, storage: { root: '/x' } },
      /gzip or none/,
    ],
    ['no encoding', { storage: { root: '/x' } }, /encoding' is required/],
    ['no storage', { encoding: jsonl }, /storage' is required/],
    ['empty root', { encoding: jsonl, storage: { root: 'file://' } }, /names no directory/],
    ['batch_size 0', { encoding: jsonl, storage: { root: '/x' }, batch_size: 0 }, /at least 1/],
    ['batch_size 1.5', { encoding: jsonl, storage: { root: '/x' }, batch_size: 1.5 }, /integer/],
    ['prefix ..', { encoding: jsonl, storage: { root: '/x', prefix: 'a/../../b' } }, /'\.\.'/],
  ])('%s is an InputError', (_name, raw, message) => {
    expect(() => parseBatchConfig(raw)).toThrow(InputError);
    expect(() => parseBatchConfig(raw)).toThrow(message);
  });

  it('the config schema refuses unknown keys and formats before anything runs', () => {
    const base = { database: 'd', username: 'u' };
    const ok = {
      ...base,
      batch_config: { encoding: jsonl, storage: { root: '/x' }, batch_size: 5 },
    };
    expect(() => assertValid('config', ok, 'config')).not.toThrow();
    for (const bad of [
      { encoding: { ...jsonl, level: 9 }, storage: { root: '/x' } },
      { encoding: jsonl, storage: { root: '/x', params: {} } },
      { encoding: jsonl, storage: { root: '/x' }, extra: 1 },
      { encoding: { format: 'parquet' }, storage: { root: '/x' } },
      { encoding: jsonl, storage: { root: '' } },
    ]) {
      expect(() => assertValid('config', { ...base, batch_config: bad }, 'config')).toThrow(
        InputError,
      );
    }
  });
});

describe('prepareBatchDirectory', () => {
  it("creates root and the prefix's directories", () => {
    const root = join(mkdtempSync(join(tmpdir(), 'batch-dir-')), 'a');
    prepareBatchDirectory(
      parseBatchConfig({ encoding: jsonl, storage: { root, prefix: 'b/c/p-' } })!,
    );
    expect(() =>
      prepareBatchDirectory(
        parseBatchConfig({ encoding: jsonl, storage: { root, prefix: 'b/c/' } })!,
      ),
    ).not.toThrow();
  });

  it('a directory that cannot be made is an InputError', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'batch-dir-')), 'f');
    writeFileSync(file, '');
    expect(() =>
      prepareBatchDirectory(
        parseBatchConfig({ encoding: jsonl, storage: { root: join(file, 'sub') } })!,
      ),
    ).toThrow(/cannot write batch files/);
  });
});
