/**
 * Identifiers from a catalog are user input (and table names can hold quotes or semicolons):
 * every one is double-quoted with embedded quotes doubled. Values always go as parameters.
 */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** `SELECT "a", "b" FROM "schema"."table"`: the one way a sync reads selected columns. */
export function selectColumns(columns: readonly string[], schema: string, table: string): string {
  return `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${qualifiedName(schema, table)}`;
}
