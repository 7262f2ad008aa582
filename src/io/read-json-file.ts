import { readFileSync } from 'node:fs';
import { InputError } from '../errors';

/**
 * Reads a JSON document a user handed us (config, catalog, state). Every failure becomes one line
 * naming the flag and the file, so the user knows which of several files is at fault.
 */
export function readJsonFile(
  path: string,
  what: string,
  parse: (text: string) => unknown = JSON.parse,
): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (code ?? 'cannot read');
    throw new InputError(`${what} file ${path}: ${why}`);
  }
  try {
    return parse(text);
  } catch (e) {
    throw new InputError(`${what} file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}
