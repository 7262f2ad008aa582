import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Message } from './catalog-helpers';

/**
 * Every RECORD checked against the last SCHEMA of its stream before it, as a validating target
 * does; returns one line per record that fails (empty when all pass).
 */
export function invalidRecords(msgs: readonly Message[]): string[] {
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  const current = new Map<string, ValidateFunction>();
  const problems: string[] = [];
  for (const m of msgs) {
    if (m.type === 'SCHEMA') current.set(m.stream!, ajv.compile(m.schema!));
    if (m.type !== 'RECORD') continue;
    const validate = current.get(m.stream!);
    if (!validate) problems.push(`${m.stream}: RECORD before SCHEMA`);
    else if (!validate(m.record))
      problems.push(`${m.stream} ${JSON.stringify(m.record)}: ${ajv.errorsText(validate.errors)}`);
  }
  return problems;
}
