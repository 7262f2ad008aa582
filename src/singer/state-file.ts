import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError, RuntimeError } from '../errors';

/**
 * `--state-out FILE`: each STATE value, once stdout has taken it, replaces FILE. Written to a temp
 * file in the same directory, flushed to disk, then renamed over FILE, so a reader (or the next
 * run, after a crash at any moment) sees either the previous state or the new one, never half.
 */
export function stateFileWriter(path: string): (serializedValue: string) => void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  return (serializedValue) => {
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, `${serializedValue}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing was left behind
      }
      throw new RuntimeError(
        `--state-out ${path}: cannot write the state (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      );
    }
  };
}

/** Checked before anything is emitted: the directory must exist and be writable, FILE not a directory. */
export function assertStateFileWritable(path: string): void {
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch (e) {
    throw new InputError(
      `--state-out ${path}: directory ${dirname(path)} is not writable (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // a file that does not exist yet is fine
  }
  if (isDirectory) throw new InputError(`--state-out ${path}: is a directory`);
}
