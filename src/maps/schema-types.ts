/**
 * The JSON Schema of a mapped property, as the Meltano SDK's stream maps derive it from the
 * expression's text alone (no evaluation): a few leading calls decide the type, a quoted literal is
 * a string, anything else keeps the schema the property already has (or the schema of the
 * property the expression names), else a string. Every mapped property is then made nullable.
 */
export type Schema = Record<string, unknown>;

const STRING: Schema = { type: ['string'] };

/** The type `expr` gives, before it is made nullable; `fallback` is the property's schema or null. */
export function expressionType(expr: string, fallback: Schema | null, rawSchema: Schema): Schema {
  if (expr === 'record') return rawSchema;
  if (expr.startsWith('float(')) return { type: ['number'] };
  if (expr.startsWith('int(')) return { type: ['integer'] };
  if (expr.startsWith('str(')) return STRING;
  if (expr.startsWith('bool(')) return { type: ['boolean'] };
  if (expr.startsWith('json.dumps(')) return STRING;
  if (
    expr.startsWith('datetime.date.') ||
    expr.startsWith('datetime.date(') ||
    expr.endsWith('.date()')
  ) {
    return { type: ['string'], format: 'date' };
  }
  if (expr.startsWith('datetime.datetime.') || expr.startsWith('datetime.datetime(')) {
    return { type: ['string'], format: 'date-time' };
  }
  if (expr.length > 0 && expr.startsWith("'") && expr.endsWith("'")) return STRING;
  return fallback ?? STRING;
}

/**
 * `schema` that also admits null, as the SDK's optional properties: "null" added to `type`, a
 * `{"type": "null"}` branch added to `oneOf`. For `anyOf` the SDK appends the bare string "null",
 * which is not a schema (validators reject the whole SCHEMA); here a `{"type": ["null"]}` branch
 * is added instead, unless a branch already admits null.
 */
export function nullable(schema: Schema): Schema {
  const result = structuredClone(schema);
  if ('anyOf' in result) {
    const branches = result.anyOf;
    if (Array.isArray(branches)) {
      if (!branches.some(admitsNull))
        result.anyOf = [...(branches as unknown[]), { type: ['null'] }];
    } else if (!admitsNull(branches)) {
      result.anyOf = [branches, { type: ['null'] }];
    }
    return result;
  }
  if ('oneOf' in result && Array.isArray(result.oneOf)) {
    result.oneOf = [...(result.oneOf as unknown[]), { type: 'null' }];
    return result;
  }
  if ('type' in result) {
    const types = Array.isArray(result.type) ? (result.type as unknown[]) : [result.type];
    if (!types.includes('null')) result.type = [...types, 'null'];
  }
  return result;
}

function admitsNull(branch: unknown): boolean {
  if (branch === 'null') return true;
  if (typeof branch !== 'object' || branch === null) return false;
  const t = (branch as Schema).type;
  return t === 'null' || (Array.isArray(t) && t.includes('null'));
}
