import { readFileSync } from 'node:fs';
import { InputError } from '../errors';

/** A certificate or key given as PEM text, or as the path of a file holding it (read now). */
export function readPemOrFile(v: string | undefined, key: string): string | undefined {
  if (v === undefined || v.includes('-----BEGIN')) return v;
  try {
    return readFileSync(v, 'utf8');
  } catch (e) {
    throw new InputError(
      `config key '${key}': cannot read ${v} (${(e as NodeJS.ErrnoException).code ?? 'error'}); give a file path or PEM text`,
    );
  }
}
