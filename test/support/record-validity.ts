import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Message } from './catalog-helpers';

const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

/**
 * Every RECORD must validate against the last SCHEMA of its stream before it (what a target that
 * builds its table from SCHEMA relies on). Returns one line per record that does not, or that
 * has no SCHEMA before it.
 */
export function invalidRecords(msgs: readonly Message[]): string[] {
  const current = new Map<string, ValidateFunction>();
  const out: string[] = [];
  for (const m of msgs) {
    if (m.type === 'SCHEMA') current.set(m.stream!, ajv.compile(m.schema as object));
    if (m.type !== 'RECORD') continue;
    const v = current.get(m.stream!);
    if (!v) out.push(`${m.stream}: RECORD before any SCHEMA`);
    else if (!v(m.record)) {
      out.push(`${m.stream}: ${JSON.stringify(m.record)}: ${ajv.errorsText(v.errors)}`);
    }
  }
  return out;
}
