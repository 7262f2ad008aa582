import { Client, type QueryResultRow } from 'pg';
import { isTransientConnectionError } from '../../src/sync/retry';
import { lastState, replay, selectStreams, type Message, type Selection } from './catalog-helpers';
import { runTap, tempFiles } from './run-tap';
import { createTestDatabase, type TestDatabase } from './test-db';

/**
 * A table for fault tests: `t (id int PRIMARY KEY, v text, seq int, pad text)`, where `seq` takes
 * the next value of sequence `s` on every insert and update (INCREMENTAL's replication key) and
 * `pad` makes rows big enough that a killed tap is still writing (its output fills the pipe).
 */
export const STREAM = 'public-t';
export type State = NonNullable<Message['value']>;

export interface FaultFixture {
  readonly db: TestDatabase;
  readonly files: ReturnType<typeof tempFiles>;
  readonly method: Selection['method'];
  readonly catalog: string;
  readonly slotName: string;
  /** A config file: the fixture's config plus `extra`. */
  config(extra?: Record<string, unknown>): string;
  /** CLI arguments for a sync from `state` (none: a first run). */
  args(state?: State, extra?: Record<string, unknown>): string[];
  connect(): Promise<Client>;
  insert(n: number): Promise<void>;
  update(mod: number, rem: number): Promise<void>;
  remove(mod: number, rem: number): Promise<void>;
  /** The table as a keyed target should hold it, keyed like `replay`. */
  source(): Promise<Map<string, Record<string, unknown>>>;
  confirmed(): Promise<number | undefined>;
  /** Waits until no walsender holds the slot (a killed tap's backend lets go shortly after). */
  slotReleased(): Promise<void>;
  drop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function faultFixture(
  prefix: string,
  method: Selection['method'],
  rows: number,
  baseConfig: Record<string, unknown> = {},
  /** Another server's admin URL (a test's own server); default the run's shared server. */
  admin?: string,
): Promise<FaultFixture> {
  const db = await createTestDatabase(prefix, admin);
  // The fixture's own session, opened again after a server restart ended it.
  let own: Client | undefined;
  const q = async <R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        if (!own) {
          const c = new Client({ connectionString: db.url });
          c.on('error', () => {});
          own = c;
          await c.connect();
        }
        return (await own.query<R>(sql, params)).rows;
      } catch (e) {
        void own?.end().catch(() => {});
        own = undefined;
        if (!isTransientConnectionError(e) || attempt >= 40) throw e;
        await sleep(250);
      }
    }
  };
  await q(
    `CREATE SEQUENCE s; CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL, seq int NOT NULL, pad text NOT NULL);
     CREATE PUBLICATION tap_postgres FOR TABLE t;`,
  );
  const files = tempFiles();
  let nConfig = 0;
  let nState = 0;
  const config = (extra: Record<string, unknown> = {}) =>
    files.write(`config-${(nConfig += 1)}.json`, {
      ...db.config,
      batch_fetch_limit: 40,
      logical_poll_total_seconds: 2,
      // A STATE at every resumable point: the faults are injected between them.
      state_interval_seconds: 0,
      ...baseConfig,
      ...extra,
    });
  const disc = await runTap(['--config', config(), '--discover']);
  const catalog = files.write(
    'catalog.json',
    selectStreams(JSON.parse(disc.stdout), {
      [STREAM]: method === 'INCREMENTAL' ? { method, replicationKey: 'seq' } : { method },
    }),
  );
  const slotName = `tap_postgres_${db.name}`;
  let maxId = 0;
  const insert = async (n: number) => {
    await q(
      `INSERT INTO t SELECT g, 'v' || g, nextval('s'), repeat(md5(g::text), 12)
         FROM generate_series($1::int, $2::int) g`,
      [maxId + 1, maxId + n],
    );
    maxId += n;
  };
  await insert(rows);
  const slotRow = async () =>
    (
      await q<{ lsn: string | null; active: boolean }>(
        `SELECT (confirmed_flush_lsn - '0/0')::text AS lsn, active FROM pg_replication_slots WHERE slot_name = $1`,
        [slotName],
      )
    )[0];
  return {
    db,
    files,
    method,
    catalog,
    slotName,
    config,
    args(state, extra) {
      const a = ['--config', config(extra), '--catalog', catalog];
      if (state) a.push('--state', files.write(`state-${(nState += 1)}.json`, state));
      return a;
    },
    async connect() {
      const c = new Client({ connectionString: db.url });
      await c.connect();
      return c;
    },
    insert,
    async update(mod, rem) {
      await q(`UPDATE t SET v = v || '+', seq = nextval('s') WHERE id % $1 = $2`, [mod, rem]);
    },
    async remove(mod, rem) {
      await q(`DELETE FROM t WHERE id % $1 = $2`, [mod, rem]);
    },
    async source() {
      const rowsNow = await q<Record<string, unknown>>('SELECT id, v, seq, pad FROM t ORDER BY id');
      return new Map(rowsNow.map((r) => [JSON.stringify(r.id), r]));
    },
    async confirmed() {
      const row = await slotRow();
      return row?.lsn == null ? undefined : Number(row.lsn);
    },
    async slotReleased() {
      for (let i = 0; i < 200 && (await slotRow())?.active; i += 1) await sleep(50);
    },
    async drop() {
      await own?.end().catch(() => {});
      await db.drop();
    },
  };
}

/** What a keyed, version-aware target holds after every message the runs printed. */
export const target = (msgs: Message[]) => replay(msgs, 'id');

/** The STATE a restart uses: the last one among the messages read, else the one it started with. */
export const resumeFrom = (seen: Message[], previous: State | undefined): State | undefined =>
  lastState(seen) ?? previous;

/** Compares a replay with the table; returns how many rows were compared. */
export function sameRows(
  got: Map<string, Record<string, unknown>>,
  want: Map<string, Record<string, unknown>>,
): number {
  const missing = [...want.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !want.has(k));
  const differ = [...want.keys()].filter(
    (k) => got.has(k) && JSON.stringify(got.get(k)) !== JSON.stringify(want.get(k)),
  );
  if (missing.length || extra.length || differ.length) {
    throw new Error(
      `replay differs from the table: missing ${missing.length} (${missing.slice(0, 5).join(',')}), extra ${extra.length} (${extra.slice(0, 5).join(',')}), different ${differ.length} (${differ
        .slice(0, 3)
        .map((k) => `${JSON.stringify(got.get(k))} vs ${JSON.stringify(want.get(k))}`)
        .join('; ')})`,
    );
  }
  return want.size;
}
