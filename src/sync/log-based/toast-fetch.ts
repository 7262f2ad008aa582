import type { Queryable } from '../../discovery/catalog-query';
import { qualifiedName, quoteIdent } from '../../db/quote';
import { RuntimeError } from '../../errors';
import type { BufferedChange, RelationLayout } from './change-encoder';

/** Keys per query: well under PostgreSQL's 65,535 parameters, and a short IN list to plan. */
export const MAX_KEYS_PER_QUERY = 1000;
/** What one batch of fetched values may weigh: 1,000 keys of 1 MB values would be 1 GB. */
const BATCH_BUDGET_BYTES = 32 * 1024 * 1024;
const MAX_PARAMETERS = 65_000;

/**
 * Values the server did not send: unchanged TOAST values no old tuple carried (REPLICA IDENTITY
 * DEFAULT or USING INDEX) and generated columns pgoutput leaves out. They are the rows' current
 * values, read by key. Changes are handed over in batches (see `batchKeys`) and each batch costs
 * one query per table; the batch shrinks when the values are large, so memory stays bounded
 * whatever their size.
 */
export class ToastFetcher {
  /** Queries run so far (logged; a test checks the batching through it). */
  queries = 0;
  values = 0;
  /** Changes left out because their row was gone when read. */
  gone = 0;
  private keysPerBatch = MAX_KEYS_PER_QUERY;

  constructor(private readonly client: Queryable) {}

  /** How many changes needing a fetch the caller should gather before calling `fetch`. */
  get batchKeys(): number {
    return this.keysPerBatch;
  }

  /**
   * Fills in the changes' missing values. Returns the changes whose row no longer exists (deleted,
   * or moved to another key, since): nothing tells their values, and a later change in the WAL
   * removes or replaces the row downstream.
   */
  async fetch(
    changes: readonly BufferedChange[],
    layoutOf: (id: number) => RelationLayout,
  ): Promise<Set<BufferedChange>> {
    const gone = new Set<BufferedChange>();
    const byLayout = new Map<number, BufferedChange[]>();
    for (const c of changes) {
      const list = byLayout.get(c.layoutId);
      if (list) list.push(c);
      else byLayout.set(c.layoutId, [c]);
    }
    let bytes = 0;
    let keys = 0;
    for (const [id, list] of byLayout) {
      const r = await this.fetchLayout(layoutOf(id), list, gone);
      bytes += r.bytes;
      keys += r.keys;
    }
    if (keys > 0) {
      const perKey = Math.max(1, bytes / keys);
      this.keysPerBatch = Math.max(
        1,
        Math.min(MAX_KEYS_PER_QUERY, Math.floor(BATCH_BUDGET_BYTES / perKey)),
      );
    }
    this.gone += gone.size;
    return gone;
  }

  private async fetchLayout(
    layout: RelationLayout,
    changes: readonly BufferedChange[],
    gone: Set<BufferedChange>,
  ): Promise<{ bytes: number; keys: number }> {
    const t = layout.target;
    const table = qualifiedName(t.schemaName, t.tableName);
    const keyNames = layout.keyNames;
    const missingNames = [
      ...new Set(changes.flatMap((c) => c.missing.map((j) => layout.columns[j]!.name))),
    ];
    if (keyNames.length === 0 || missingNames.some((n) => keyNames.includes(n))) {
      throw new RuntimeError(
        `${t.tapStreamId}: a change did not carry ${missingNames.join(', ')} (an unchanged TOASTed value, or a generated column) and ${t.schemaName}.${t.tableName} has no replica identity key to read it by; run \`ALTER TABLE ${table} REPLICA IDENTITY FULL;\``,
      );
    }
    const byKey = new Map<string, BufferedChange[]>();
    for (const c of changes) {
      const k = JSON.stringify(c.key);
      const list = byKey.get(k);
      if (list) list.push(c);
      else byKey.set(k, [c]);
    }
    const keys = [...byKey.keys()];
    const perQuery = Math.max(
      1,
      Math.min(MAX_KEYS_PER_QUERY, Math.floor(MAX_PARAMETERS / keyNames.length)),
    );
    const nk = keyNames.length;
    const select = `SELECT ${[...keyNames, ...missingNames].map(quoteIdent).join(', ')} FROM ${table} WHERE `;
    const lhs = nk === 1 ? quoteIdent(keyNames[0]!) : `(${keyNames.map(quoteIdent).join(', ')})`;
    let bytes = 0;
    for (let from = 0; from < keys.length; from += perQuery) {
      const chunk = keys.slice(from, from + perQuery);
      const values: (string | null)[] = [];
      const tuples = chunk.map((k) => {
        const texts = JSON.parse(k) as (string | null)[];
        const params = texts.map((v) => {
          values.push(v);
          return `$${values.length}`;
        });
        return nk === 1 ? params[0]! : `(${params.join(', ')})`;
      });
      // Parameters take the key columns' types from the comparison: no cast, any key type.
      const r = await this.client.query<unknown[]>({
        text: `${select}${lhs} IN (${tuples.join(', ')})`,
        values,
        rowMode: 'array',
      });
      this.queries += 1;
      const found = new Set<string>();
      for (const raw of r.rows) {
        const row = raw as (string | null)[];
        const k = JSON.stringify(row.slice(0, nk));
        const list = byKey.get(k);
        if (!list) continue;
        found.add(k);
        for (const c of list) {
          for (const j of c.missing) {
            const v = row[nk + missingNames.indexOf(layout.columns[j]!.name)] ?? null;
            c.texts[j] = v;
            bytes += v?.length ?? 0;
            this.values += 1;
          }
        }
      }
      for (const k of chunk) if (!found.has(k)) for (const c of byKey.get(k)!) gone.add(c);
    }
    return { bytes, keys: keys.length };
  }
}
