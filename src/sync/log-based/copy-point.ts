import type { Queryable } from '../../discovery/catalog-query';
import type { Logger } from '../../log/logger';
import { currentWalLsn } from '../../replication/slot';
import { describeTransactions, type SlotWaitTiming } from '../../replication/slot-creation-wait';
import type { Lsn } from '../../replication/lsn';

/**
 * Where a table copied outside the slot's snapshot (added later, copied again) joins the stream:
 * the WAL position read before the copy, and the transactions that held an id right after it.
 *
 * A transaction's commit record is in the WAL before the transaction becomes visible to new
 * snapshots: the server first flushes it (and waits for synchronous standbys, for as long as they
 * take), then ends the transaction. A copy's snapshot taken after the position was read may
 * therefore not see a transaction whose commit lies before that position, and the stream, which
 * skips every transaction committed at or before it, would not send it either: a lost change.
 * So the copy's snapshot is only taken once every transaction that held an id when the position
 * had been read has ended (as slot creation waits for them too). A transaction committed after the
 * position may then be both in the copy and sent again: at-least-once, never lost.
 */
export interface CopyPoint {
  readonly at: Lsn;
  /** The transactions that held an id right after `at` was read (32-bit xids as text). */
  readonly running: readonly string[];
}

/**
 * Every transaction that holds an id: each holds an exclusive lock on it from when it gets the id
 * until after it has left the set of running transactions that snapshots are taken from (a
 * prepared transaction until COMMIT PREPARED). pg_current_snapshot() would not do: a transaction
 * with an id at or past its xmax is taken as running without being listed.
 */
const HELD_SQL = `SELECT coalesce(string_agg(transactionid::text, ','), '') AS xids
  FROM pg_catalog.pg_locks
 WHERE locktype = 'transactionid' AND mode = 'ExclusiveLock' AND granted`;

async function heldXids(client: Queryable): Promise<string[]> {
  const r = await client.query<{ xids: string }>(HELD_SQL);
  const s = r.rows[0]!.xids;
  return s === '' ? [] : s.split(',');
}

/** Reads the position first: a transaction committed before it is then visible, or still held. */
export async function copyPoint(client: Queryable): Promise<CopyPoint> {
  const at = await currentWalLsn(client);
  return { at, running: await heldXids(client) };
}

/** Who holds the transactions a copy waits for, for the report. */
const HOLDERS_SQL = `
SELECT l.pid::text AS pid, coalesce(a.datname, p.database) AS database,
       coalesce(a.state, 'prepared transaction ' || quote_literal(p.gid)) AS state,
       floor(extract(epoch FROM clock_timestamp() - coalesce(a.xact_start, p.prepared)))::int::text
         AS open_s
  FROM pg_catalog.pg_locks AS l
  LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
  LEFT JOIN pg_catalog.pg_prepared_xacts AS p ON l.pid IS NULL AND p.transaction = l.transactionid
 WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
   AND l.transactionid::text = ANY ($1::text[])`;

async function describeHolders(client: Queryable, xids: readonly string[]): Promise<string> {
  // The tap's connections read every value as text.
  const r = await client.query<{
    pid: string | null;
    database: string | null;
    state: string | null;
    open_s: string | null;
  }>(HOLDERS_SQL, [xids]);
  return describeTransactions(
    r.rows.map((h) => ({
      pid: h.pid === null ? null : Number(h.pid),
      database: h.database,
      state: h.state,
      openSeconds: h.open_s === null ? null : Number(h.open_s),
    })),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits, asking on `report.client`, until none of `point.running` is held any more; says what it
 * waits for after `report.timing.firstMs`, then every `everyMs`. A snapshot taken afterwards sees
 * every transaction committed at or before `point.at`.
 */
export async function waitForCopyPoint(
  point: CopyPoint,
  what: string,
  report: {
    readonly client: Queryable;
    readonly log: Logger;
    readonly timing: SlotWaitTiming;
    /** Throws to end the wait (SIGTERM): a long-open transaction may hold it for hours. */
    readonly stop: () => void;
  },
): Promise<void> {
  if (point.running.length === 0) return;
  const started = Date.now();
  let nextReport = started + report.timing.firstMs;
  let waiting: readonly string[] = point.running;
  for (let pause = 10; ; pause = Math.min(pause * 2, 500)) {
    report.stop();
    const held = new Set(await heldXids(report.client));
    waiting = waiting.filter((x) => held.has(x));
    if (waiting.length === 0) return;
    if (Date.now() >= nextReport) {
      nextReport = Date.now() + report.timing.everyMs;
      const who = await describeHolders(report.client, waiting).catch(() => '');
      report.log.warn(
        `${what}: waiting for ${waiting.length} transaction(s) open when its WAL position was read${who ? ` (${who})` : ''}: what they commit at or before that position must be in the copy; waited ${Math.round((Date.now() - started) / 1000)} s so far`,
      );
    }
    await sleep(pause);
  }
}
