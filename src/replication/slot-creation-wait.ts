import type { Queryable } from '../discovery/catalog-query';
import { isStandby } from '../db/standby';
import type { Logger } from '../log/logger';

/**
 * Creating a logical slot waits for every transaction that held a transaction id when it started
 * (PostgreSQL needs them finished to build the slot's first consistent snapshot), however long
 * they stay open, and says nothing meanwhile. These reports say what it waits for.
 */

/** When the first report comes and how often it is repeated while the wait goes on. */
export interface SlotWaitTiming {
  readonly firstMs: number;
  readonly everyMs: number;
}

export const SLOT_WAIT_TIMING: SlotWaitTiming = { firstMs: 5_000, everyMs: 30_000 };

/**
 * Not a setting: the tests set `TAP_POSTGRES_SLOT_WAIT_REPORT_SECONDS` (first[,every]) so that a
 * wait is reported within a second.
 */
export function slotWaitTiming(env: NodeJS.ProcessEnv): SlotWaitTiming {
  const given = env.TAP_POSTGRES_SLOT_WAIT_REPORT_SECONDS;
  if (!given) return SLOT_WAIT_TIMING;
  const [first, every] = given.split(',').map((s) => Number(s) * 1000);
  const valid = (n: number | undefined): n is number => n !== undefined && n > 0;
  return {
    firstMs: valid(first) ? first : SLOT_WAIT_TIMING.firstMs,
    everyMs: valid(every) ? every : valid(first) ? first : SLOT_WAIT_TIMING.everyMs,
  };
}

/** A transaction the slot's creation waits for. */
export interface OpenTransaction {
  /** null for a prepared transaction, which no session holds. */
  readonly pid: number | null;
  readonly database: string | null;
  /** pg_stat_activity's state, or `prepared transaction 'gid'`; null when the role may not see it. */
  readonly state: string | null;
  readonly openSeconds: number | null;
}

/**
 * The creating backend waits on one transaction id at a time (a `transactionid` lock it has not
 * been granted): that transaction first, then the others that had an id and were open before the
 * creation started, which it waits for next. pg_locks shows every session to every role;
 * pg_stat_activity hides other roles' states without pg_read_all_stats.
 */
const OPEN_TRANSACTIONS_SQL = `
WITH waited AS (
  SELECT h.pid, w.transactionid::text AS xid
    FROM pg_catalog.pg_locks AS w
    LEFT JOIN pg_catalog.pg_locks AS h
      ON h.locktype = 'transactionid' AND h.transactionid = w.transactionid AND h.granted
   WHERE w.pid = $1 AND w.locktype = 'transactionid' AND NOT w.granted
)
SELECT a.pid, a.datname AS database, a.state,
       floor(extract(epoch FROM clock_timestamp() - a.xact_start))::int AS open_s,
       a.pid IN (SELECT pid FROM waited WHERE pid IS NOT NULL) AS waited
  FROM pg_catalog.pg_stat_activity AS a
 WHERE a.pid <> $1
   AND (a.pid IN (SELECT pid FROM waited WHERE pid IS NOT NULL)
        OR (a.backend_xid IS NOT NULL
            AND a.xact_start < clock_timestamp() - make_interval(secs => $2)))
UNION ALL
SELECT NULL, p.database, 'prepared transaction ' || quote_literal(p.gid),
       floor(extract(epoch FROM clock_timestamp() - p.prepared))::int,
       p.transaction::text IN (SELECT xid FROM waited)
  FROM pg_catalog.pg_prepared_xacts AS p
 WHERE p.transaction::text IN (SELECT xid FROM waited WHERE pid IS NULL)
    OR p.prepared < clock_timestamp() - make_interval(secs => $2)
 ORDER BY waited DESC, open_s DESC NULLS LAST`;

export async function transactionsSlotWaitsFor(
  client: Queryable,
  creatorPid: number,
  waitedMs: number,
): Promise<OpenTransaction[]> {
  // The tap's connections read every value as text.
  const r = await client.query<{
    pid: string | null;
    database: string | null;
    state: string | null;
    open_s: string | null;
  }>(OPEN_TRANSACTIONS_SQL, [creatorPid, waitedMs / 1000]);
  return r.rows.map((row) => ({
    pid: row.pid === null ? null : Number(row.pid),
    database: row.database,
    state: row.state,
    openSeconds: row.open_s === null ? null : Number(row.open_s),
  }));
}

/** How many are named; the rest are counted. */
const NAMED = 3;

function describeTransaction(t: OpenTransaction): string {
  const parts = [
    t.pid === null ? (t.state ?? 'a prepared transaction') : `pid ${t.pid}`,
    ...(t.database === null ? [] : [`database '${t.database}'`]),
    ...(t.openSeconds === null ? [] : [`open for ${t.openSeconds} s`]),
    ...(t.pid !== null && t.state !== null ? [t.state] : []),
  ];
  return parts.join(', ');
}

/** The first few transactions described, the rest counted: `pid 12, database 'x', …; and 2 more`. */
export function describeTransactions(open: readonly OpenTransaction[]): string {
  const named = open.slice(0, NAMED).map(describeTransaction);
  if (open.length > NAMED) named.push(`and ${open.length - NAMED} more`);
  return named.join('; ');
}

export function slotWaitMessage(
  slotName: string,
  waitedMs: number,
  open: readonly OpenTransaction[],
): string {
  const n = open.length;
  return (
    `creating replication slot '${slotName}': waiting for ${n} open transaction${n === 1 ? '' : 's'} ` +
    `to finish (${describeTransactions(open)}); waited ${Math.round(waitedMs / 1000)} s so far, and slot ` +
    `creation cannot complete before ${n === 1 ? 'it ends' : 'they end'}`
  );
}

/** On a standby the wait is for the primary, which the standby's own sessions cannot show. */
export function standbySlotWaitMessage(slotName: string, waitedMs: number): string {
  return (
    `creating replication slot '${slotName}' on a standby: waiting for the primary to log its running ` +
    `transactions (it does every 15 s while it writes; SELECT pg_log_standby_snapshot(); on the ` +
    `primary logs them now); waited ${Math.round(waitedMs / 1000)} s so far`
  );
}

/**
 * Reports, after `timing.firstMs` and then every `timing.everyMs`, what the slot's creation by
 * backend `creatorPid` waits for, asked on `client` (an ordinary connection). Returns the function
 * that ends the reports once the creation is over.
 */
export function watchSlotCreation(
  client: Queryable,
  log: Logger,
  slotName: string,
  creatorPid: number,
  timing: SlotWaitTiming,
): () => void {
  const started = Date.now();
  let over = false;
  let timer: NodeJS.Timeout | undefined;
  const report = async () => {
    const waited = Date.now() - started;
    try {
      const open = await transactionsSlotWaitsFor(client, creatorPid, waited);
      if (!over && open.length > 0) log.warn(slotWaitMessage(slotName, waited, open));
      else if (!over && (await isStandby(client)))
        log.warn(standbySlotWaitMessage(slotName, waited));
    } catch (e) {
      // Only a report: the creation itself goes on, and its own failure is what counts.
      log.debug(`could not tell what creating the slot waits for: ${(e as Error).message}`);
    }
    if (!over) timer = setTimeout(() => void report(), timing.everyMs);
  };
  timer = setTimeout(() => void report(), timing.firstMs);
  return () => {
    over = true;
    clearTimeout(timer);
  };
}
