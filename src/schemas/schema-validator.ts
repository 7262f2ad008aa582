import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';

/** The JSON Schemas the tap publishes in schemas/; the same files validate its inputs. */
export type SchemaName = 'config' | 'catalog' | 'state' | 'messages';

// Same relative depth from src/schemas/ and dist/schemas/, so tests and the build both find them.
export const SCHEMAS_DIR = join(__dirname, '..', '..', 'schemas');

export function loadSchema(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, `${name}.schema.json`), 'utf8')) as Record<
    string,
    unknown
  >;
}

const SCHEMA_NAMES: readonly SchemaName[] = ['config', 'catalog', 'state', 'messages'];
let ajv: Ajv | undefined;
const schemaKeys = new Map<SchemaName, string>();
const compiled = new Map<SchemaName, ValidateFunction>();

/** All schemas share one Ajv so that `$ref`s between them (messages → state) resolve. */
function sharedAjv(): Ajv {
  if (!ajv) {
    const fresh = addFormats(new Ajv({ allErrors: true, strict: false }));
    // Registered by $id (when present) so relative $refs between the files resolve.
    for (const n of SCHEMA_NAMES) {
      const schema = loadSchema(n);
      fresh.addSchema(schema, typeof schema.$id === 'string' ? schema.$id : n);
      schemaKeys.set(n, typeof schema.$id === 'string' ? schema.$id : n);
    }
    ajv = fresh;
  }
  return ajv;
}

export function validatorFor(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    const shared = sharedAjv();
    v = shared.getSchema(schemaKeys.get(name) ?? name);
    if (!v) throw new Error(`schema ${name} did not compile`);
    compiled.set(name, v);
  }
  return v;
}

/** `/streams/0/metadata` → `streams[0].metadata`: how users read paths in their documents. */
function readablePath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(err: ErrorObject): string {
  const at = readablePath(err.instancePath);
  const key = at ? `'${at}'` : 'document';
  switch (err.keyword) {
    case 'required':
      return `missing required key '${[at, (err.params as { missingProperty: string }).missingProperty].filter(Boolean).join('.')}'`;
    case 'type':
      return `${key} must be ${String((err.params as { type: string | string[] }).type).replace(/,/g, ' or ')}`;
    case 'enum':
      return `${key} must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `${key} has an invalid value (must match ${(err.params as { pattern: string }).pattern})`;
    default:
      return `${key} ${err.message ?? 'is invalid'}`;
  }
}

/**
 * The first useful error as one line. `anyOf` wrappers are skipped in favour of the error inside
 * them; callers that have a better message for a group (e.g. an alias pair) check that first.
 */
export function firstError(errors: readonly ErrorObject[] | null | undefined): string {
  const useful = (errors ?? []).filter(
    (e) => !['anyOf', 'allOf', 'oneOf', 'if'].includes(e.keyword),
  );
  const e = useful[0] ?? errors?.[0];
  return e ? describe(e) : 'invalid';
}

/** Validates or throws an InputError prefixed with what the document is (e.g. "config file x"). */
export function assertValid(name: SchemaName, doc: unknown, what: string): void {
  const v = validatorFor(name);
  if (!v(doc)) throw new InputError(`${what}: ${firstError(v.errors)}`);
}
