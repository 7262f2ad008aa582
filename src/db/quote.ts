import { escapeLiteral } from 'pg';

/**
 * Identifiers from a catalog are user input (and table names can hold quotes or semicolons):
 * every one is double-quoted with embedded quotes doubled. Values go as parameters, except in COPY.
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

/**
 * A value as an SQL string literal, for the one statement that takes no parameters (COPY): an
 * untyped literal resolves to the type it is compared with, as an untyped parameter does.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('literal contains a NUL byte');
  return escapeLiteral(value);
}
