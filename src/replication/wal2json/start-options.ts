export interface Wal2jsonStartOptions {
  readonly plugin: 'wal2json';
  /** Only these tables' changes are decoded (wal2json has no publications). */
  readonly tables: readonly { readonly schema: string; readonly table: string }[];
}

/**
 * wal2json's `add-tables` list: `schema.table` pairs separated by commas, where `.`, `,`, `*`,
 * whitespace and the backslash itself are taken literally only behind a backslash.
 */
export function addTablesOption(tables: Wal2jsonStartOptions['tables']): string {
  const esc = (s: string) => s.replace(/[\\.,*\s]/g, (c) => `\\${c}`);
  return tables.map((t) => `${esc(t.schema)}.${esc(t.table)}`).join(',');
}

/** The START_REPLICATION options, as `"name" 'value'` pairs. */
export function wal2jsonOptions(o: Wal2jsonStartOptions): [string, string][] {
  return [
    ['format-version', '2'],
    ['include-transaction', 'true'],
    ['include-xids', 'true'],
    ['include-timestamp', 'true'],
    ['include-lsn', 'true'],
    ['include-types', 'true'],
    ['include-type-oids', 'true'],
    ['add-tables', addTablesOption(o.tables)],
  ];
}
