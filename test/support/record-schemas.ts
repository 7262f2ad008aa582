import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Message } from './catalog-helpers';

/**
 * Each RECORD checked against the last SCHEMA of its stream before it: the errors, one line per
 * failing record (empty when every record fits). `multipleOf` is checked to 12 significant digits:
 * ajv divides floats, and 1.1 / 0.1 is not an integer in binary.
 */
export function recordSchemaErrors(msgs: readonly Message[]): string[] {
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true, multipleOfPrecision: 12 }));
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  const errors: string[] = [];
  for (const m of msgs) {
    if (m.type === 'SCHEMA') {
      validators.set(m.stream!, ajv.compile(m.schema as object));
    } else if (m.type === 'RECORD') {
      const v = validators.get(m.stream!);
      if (!v) errors.push(`${m.stream}: a RECORD before any SCHEMA`);
      else if (!v(m.record))
        errors.push(`${JSON.stringify(m.record)}: ${ajv.errorsText(v.errors)}`);
    }
  }
  return errors;
}
