import type { ClientBase } from 'pg';
import { qualifiedName, quoteIdent } from '../db/quote';
import { InputError } from '../errors';
import type { StreamColumns } from '../sync/stream-columns';
import { bookmarkText } from '../sync/bookmark-literal';
import { RawJson } from './raw-json';
import { bookmarkFor, type TapState } from './tap-state';

/** SQLSTATE class 22, data exception: PostgreSQL could not read a parameter as the column's type. */
const isDataException = (e: unknown): e is { code: string; message: string } =>
  typeof (e as { code?: unknown }).code === 'string' &&
  (e as { code: string }).code.startsWith('22');

/** The text the sync compares with (bookmark-literal.ts), so the probe reads what the sync will. */
function scalarText(v: unknown): string | null | 'not-scalar' {
  if (
    v instanceof RawJson ||
    typeof v === 'string' ||
    typeof v === 'number' ||
    typeof v === 'boolean'
  )
    return bookmarkText(v);
  if (v === undefined || v === null) return null;
  return 'not-scalar';
}

/** One stream's bookmark values, to be read by PostgreSQL as values of `columns`. */
interface Probe {
  readonly sc: StreamColumns;
  readonly columns: readonly string[];
  readonly values: readonly string[];
  readonly what: string;
}

/** A probe's statement, its values numbered from `$first`. */
function probeSql(p: Probe, first: number): string {
  const s = p.sc.stream;
  const lhs = p.columns.map(quoteIdent).join(', ');
  const rhs = p.values.map((_, i) => `$${first + i}`).join(', ');
  return `SELECT 1 FROM ${qualifiedName(s.schemaName, s.tableName)} WHERE (${lhs}) >= (${rhs}) LIMIT 0`;
}

/**
 * Lets PostgreSQL read the bookmark values exactly as the sync will compare them, without reading
 * a row (`LIMIT 0`): a value it cannot parse as the column's type fails here, before anything is
 * emitted, instead of after other streams' records went out.
 */
async function probe(client: ClientBase, p: Probe): Promise<void> {
  try {
    await client.query(probeSql(p, 1), [...p.values]);
  } catch (e) {
    if (!isDataException(e)) throw e;
    throw new InputError(
      `state: bookmark of stream ${p.sc.stream.tapStreamId}: ${p.what} ${JSON.stringify(p.values.length === 1 ? p.values[0] : p.values)} is not a value of ${p.columns.map((c) => `'${c}'`).join(', ')} (${e.message}); correct it or remove the stream's bookmark`,
    );
  }
}

/** Probes per statement: a run may resume thousands of streams. */
const PROBES_PER_STATEMENT = 200;

/**
 * Every probe, many per statement (one UNION ALL, each value still a parameter): a round trip per
 * stream made resuming many tables slow. When a statement fails, its probes run one by one, so
 * the error names the first stream at fault, as probing each alone does.
 */
async function probeAll(client: ClientBase, probes: readonly Probe[]): Promise<void> {
  for (let i = 0; i < probes.length; i += PROBES_PER_STATEMENT) {
    const chunk = probes.slice(i, i + PROBES_PER_STATEMENT);
    const parts: string[] = [];
    const values: string[] = [];
    for (const p of chunk) {
      parts.push(`(${probeSql(p, values.length + 1)})`);
      values.push(...p.values);
    }
    try {
      await client.query(parts.join(' UNION ALL '), values);
    } catch {
      // Each alone either fails as it would have, or passes: then only the joined statement
      // failed (its size, say), and the bookmarks are usable all the same.
      for (const p of chunk) await probe(client, p);
    }
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
  const probes: Probe[] = [];
  for (const sc of streams) {
    let p: Probe | null;
    try {
      p = checkShape(sc, state);
    } catch (e) {
      // A value of an earlier stream that PostgreSQL refuses is reported first, as in stream order.
      await probeAll(client, probes);
      throw e;
    }
    if (p) probes.push(p);
  }
  await probeAll(client, probes);
}

/** What can be checked of a stream's bookmark without the database, and its probe if any. */
function checkShape(sc: StreamColumns, state: TapState): Probe | null {
  const s = sc.stream;
  const b = bookmarkFor(state, s.tapStreamId, s.method, s.replicationKey);
  const where = `state: bookmark of stream ${s.tapStreamId}`;
  if (s.method === 'INCREMENTAL' && s.replicationKey) {
    const v = scalarText(b.replication_key_value);
    if (v === 'not-scalar')
      throw new InputError(
        `${where}: replication_key_value must be a string or a number; correct it or remove the bookmark`,
      );
    if (v !== null)
      return { sc, columns: [s.replicationKey], values: [v], what: 'replication_key_value' };
  } else if (s.method === 'FULL_TABLE') {
    const last = b.version != null ? b.last_pk_fetched : undefined;
    if (last === undefined || last === null) return null;
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
    if (!keyset || values.some((v) => v === null)) return null;
    return { sc, columns: sc.primaryKey, values: values as string[], what: 'last_pk_fetched' };
  } else if (s.method === 'LOG_BASED') {
    const lsn = b.lsn;
    if (lsn !== undefined && lsn !== null && !(Number.isSafeInteger(lsn) && lsn >= 0))
      throw new InputError(
        `${where}: lsn must be a non-negative integer up to ${Number.MAX_SAFE_INTEGER}; correct it or remove the bookmark`,
      );
  }
  return null;
}
