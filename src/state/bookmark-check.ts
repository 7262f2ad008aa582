import type { ClientBase } from 'pg';
import { qualifiedName, quoteIdent } from '../db/quote';
import { InputError } from '../errors';
import type { StreamColumns } from '../sync/stream-columns';
import { RawJson } from './raw-json';
import { bookmarkFor, type TapState } from './tap-state';

/** SQLSTATE class 22, data exception: PostgreSQL could not read a parameter as the column's type. */
const isDataException = (e: unknown): e is { code: string; message: string } =>
  typeof (e as { code?: unknown }).code === 'string' &&
  (e as { code: string }).code.startsWith('22');

function scalarText(v: unknown): string | null | 'not-scalar' {
  if (v === undefined || v === null) return null;
  if (v instanceof RawJson) return v.toString();
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return 'not-scalar';
}

/**
 * Lets PostgreSQL read the bookmark values exactly as the sync will compare them, without reading
 * a row (`LIMIT 0`): a value it cannot parse as the column's type fails here, before anything is
 * emitted, instead of after other streams' records went out.
 */
async function probe(
  client: ClientBase,
  sc: StreamColumns,
  columns: readonly string[],
  values: readonly string[],
  what: string,
): Promise<void> {
  const s = sc.stream;
  const lhs = columns.map(quoteIdent).join(', ');
  const rhs = values.map((_, i) => `$${i + 1}`).join(', ');
  try {
    await client.query(
      `SELECT 1 FROM ${qualifiedName(s.schemaName, s.tableName)} WHERE (${lhs}) >= (${rhs}) LIMIT 0`,
      [...values],
    );
  } catch (e) {
    if (!isDataException(e)) throw e;
    throw new InputError(
      `state: bookmark of stream ${s.tapStreamId}: ${what} ${JSON.stringify(values.length === 1 ? values[0] : values)} is not a value of ${columns.map((c) => `'${c}'`).join(', ')} (${e.message}); correct it or remove the stream's bookmark`,
    );
  }
}

/**
 * Every selected stream's bookmark, checked against the live table before anything is emitted
 * (invalid state is exit 2 with no output): the INCREMENTAL value and the FULL_TABLE
 * resume key must be values of their columns, a LOG_BASED position a valid LSN. A bookmark the
 * sync would ignore (another method or key: it starts over) is not checked.
 */
export async function assertBookmarksUsable(
  client: ClientBase,
  streams: readonly StreamColumns[],
  state: TapState,
): Promise<void> {
  for (const sc of streams) {
    const s = sc.stream;
    const b = bookmarkFor(state, s.tapStreamId, s.method, s.replicationKey);
    const where = `state: bookmark of stream ${s.tapStreamId}`;
    if (s.method === 'INCREMENTAL' && s.replicationKey) {
      const v = scalarText(b.replication_key_value);
      if (v === 'not-scalar')
        throw new InputError(
          `${where}: replication_key_value must be a string or a number; correct it or remove the bookmark`,
        );
      if (v !== null) await probe(client, sc, [s.replicationKey], [v], 'replication_key_value');
    } else if (s.method === 'FULL_TABLE') {
      const last = b.version != null ? b.last_pk_fetched : undefined;
      if (last === undefined || last === null) continue;
      if (typeof last !== 'object' || Array.isArray(last) || last instanceof RawJson)
        throw new InputError(
          `${where}: last_pk_fetched must be an object of primary key values; correct it or remove the bookmark`,
        );
      const values = sc.primaryKey.map((k) => scalarText((last as Record<string, unknown>)[k]));
      if (values.includes('not-scalar'))
        throw new InputError(
          `${where}: last_pk_fetched values must be strings or numbers; correct it or remove the bookmark`,
        );
      // Without a selected key, or with a marker missing a key column, the sync starts over.
      const keyset =
        !s.isView && sc.primaryKey.length > 0 && sc.primaryKey.every((k) => s.columns.includes(k));
      if (!keyset || values.some((v) => v === null)) continue;
      await probe(client, sc, sc.primaryKey, values as string[], 'last_pk_fetched');
    } else if (s.method === 'LOG_BASED') {
      const lsn = b.lsn;
      if (lsn !== undefined && lsn !== null && !(Number.isSafeInteger(lsn) && lsn >= 0))
        throw new InputError(
          `${where}: lsn must be a non-negative integer up to ${Number.MAX_SAFE_INTEGER}; correct it or remove the bookmark`,
        );
    }
  }
}
