import { accessSync, closeSync, constants, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../errors';

/** What `batch_config` settles to (see docs/batch.md). */
export interface BatchConfig {
  readonly format: 'jsonl';
  readonly compression: BatchCompression;
  /** Absolute directory the files go to: `storage.root` resolved. */
  readonly root: string;
  /** Put before each file name; may contain `/` (sub-directories of root). */
  readonly prefix: string;
  /** Records per file at most. */
  readonly batchSize: number;
}

export const BATCH_COMPRESSIONS = ['gzip', 'none'] as const;
export type BatchCompression = (typeof BATCH_COMPRESSIONS)[number];

/** The Meltano SDK's default `batch_size`. */
export const DEFAULT_BATCH_SIZE = 10_000;

/** `s3://`, `gs://`, …: any URL scheme but `file`. */
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

type Raw = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `batch_config` as the Meltano SDK reads it: `encoding.format` (jsonl), `encoding.compression`,
 * `storage.root` (a `file://` URL or a local path; as in the SDK, `file://` is only stripped, so
 * `file://out` is the relative directory `out`), `storage.prefix`, `batch_size`. The JSON Schema
 * checked the shape; this says what the tap does not support, in one line each.
 */
export function parseBatchConfig(raw: unknown, cwd: string = process.cwd()): BatchConfig | null {
  if (raw === undefined || raw === null) return null;
  const key = (k: string) => `config key 'batch_config.${k}'`;
  if (!isObject(raw)) throw new InputError(`config key 'batch_config' must be an object`);
  const encoding = raw.encoding;
  const storage = raw.storage;
  if (!isObject(encoding)) throw new InputError(`${key('encoding')} is required`);
  if (!isObject(storage)) throw new InputError(`${key('storage')} is required`);
  if (encoding.format !== 'jsonl') {
    throw new InputError(
      `${key('encoding.format')} is ${JSON.stringify(encoding.format)}; tap-postgres writes jsonl batch files only`,
    );
  }
  // The SDK's own JSONL writer compresses whatever this says; gzip is also what it defaults to.
  const compression = encoding.compression ?? 'gzip';
  if (!BATCH_COMPRESSIONS.includes(compression as BatchCompression)) {
    throw new InputError(
      `${key('encoding.compression')} is ${JSON.stringify(compression)}; use gzip or none`,
    );
  }
  const rootText = storage.root;
  if (typeof rootText !== 'string' || rootText.length === 0) {
    throw new InputError(`${key('storage.root')} is required: a file:// URL or a local directory`);
  }
  const scheme = URL_SCHEME.exec(rootText)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== 'file') {
    throw new InputError(
      `${key('storage.root')} uses ${scheme}://; tap-postgres writes batch files to a local directory only (file://)`,
    );
  }
  const local = scheme === undefined ? rootText : rootText.slice(scheme.length + 3);
  if (local.length === 0) throw new InputError(`${key('storage.root')} names no directory`);
  const prefix = storage.prefix ?? '';
  if (typeof prefix !== 'string') throw new InputError(`${key('storage.prefix')} must be a string`);
  if (prefix.split('/').includes('..')) {
    throw new InputError(`${key('storage.prefix')} must not leave the root directory ('..')`);
  }
  const size = raw.batch_size ?? DEFAULT_BATCH_SIZE;
  const batchSize = typeof size === 'string' && /^\s*[0-9]+\s*$/.test(size) ? Number(size) : size;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new InputError(`${key('batch_size')} must be an integer of at least 1`);
  }
  return Object.freeze({
    format: 'jsonl',
    compression: compression as BatchCompression,
    root: isAbsolute(local) ? resolve(local) : resolve(cwd, local),
    prefix,
    batchSize,
  });
}

/**
 * Creates the directory the files go to (root and the prefix's directories) and checks that the
 * tap may write there: a run finds out before its first message, not at its first file.
 */
export function prepareBatchDirectory(config: BatchConfig): void {
  const dir = dirname(resolve(config.root, `${config.prefix}x`));
  try {
    const first = mkdirSync(dir, { recursive: true });
    // A file made durable in a directory created now is only found after a crash if the
    // directory's own entry is durable too.
    if (first !== undefined) {
      for (let d = dir; ; d = dirname(d)) {
        syncDirectory(dirname(d));
        if (d === first) break;
      }
    }
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new InputError(
      `config key 'batch_config.storage': cannot write batch files to ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (e) {
    // As for the files' directory (batch-file.ts): some file systems cannot fsync a directory.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw e;
  } finally {
    closeSync(fd);
  }
}
