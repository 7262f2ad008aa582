import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Message } from './catalog-helpers';

/**
 * Each RECORD checked against the last SCHEMA of its stream before it: the errors, one line per
 * failing record (empty when every record fits). `multipleOf` is left out: ajv divides floats.
 */
export function recordSchemaErrors(msgs: readonly Message[]): string[] {
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  const errors: string[] = [];
  for (const m of msgs) {
    if (m.type === 'SCHEMA') {
      const schema = JSON.parse(JSON.stringify(m.schema)) as {
        properties?: Record<string, Record<string, unknown>>;
      };
      for (const p of Object.values(schema.properties ?? {})) delete p.multipleOf;
      validators.set(m.stream!, ajv.compile(schema));
    } else if (m.type === 'RECORD') {
      const v = validators.get(m.stream!);
      if (!v) errors.push(`${m.stream}: a RECORD before any SCHEMA`);
      else if (!v(m.record))
        errors.push(`${JSON.stringify(m.record)}: ${ajv.errorsText(v.errors)}`);
    }
  }
  return errors;
}
