import type { ClientBase } from 'pg';
import type { DecodingPlugin, TapConfig } from '../config/tap-config';
import { connectReplication } from '../db/connect';
import { parseLsn, type Lsn } from './lsn';

/** What pg_replication_slots says about a slot. */
export interface SlotInfo {
  readonly slotName: string;
  readonly plugin: string;
  readonly database: string;
  readonly active: boolean;
  readonly restartLsn: Lsn | null;
  readonly confirmedFlushLsn: Lsn | null;
  /** reserved / extended / unreserved / lost (PG 13+). */
  readonly walStatus: string | null;
  /** Synchronised to standbys that ask for it (PG 17+; null before). */
  readonly failover: boolean | null;
  /** A standby's copy of a primary's failover slot, not yet usable here (PG 17+; null before). */
  readonly synced: boolean | null;
}

export async function slotInfo(
  client: Pick<ClientBase, 'query'>,
  slotName: string,
): Promise<SlotInfo | null> {
  const r = await client.query<Record<string, string | null>>(
    // failover and synced are columns since 17: read through to_jsonb, which works before too.
    `SELECT slot_name, plugin, database, active::text AS active, restart_lsn::text AS restart_lsn,
            confirmed_flush_lsn::text AS confirmed_flush_lsn, wal_status,
            pg_catalog.to_jsonb(s) ->> 'failover' AS failover,
            pg_catalog.to_jsonb(s) ->> 'synced' AS synced
       FROM pg_catalog.pg_replication_slots s WHERE slot_name = $1 AND slot_type = 'logical'`,
    [slotName],
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    slotName: row.slot_name!,
    plugin: row.plugin ?? '',
    database: row.database ?? '',
    active: row.active === 'true',
    restartLsn: row.restart_lsn ? parseLsn(row.restart_lsn) : null,
    confirmedFlushLsn: row.confirmed_flush_lsn ? parseLsn(row.confirmed_flush_lsn) : null,
    walStatus: row.wal_status ?? null,
    failover: row.failover === null || row.failover === undefined ? null : row.failover === 'true',
    synced: row.synced === null || row.synced === undefined ? null : row.synced === 'true',
  };
}

/**
 * A new slot and the snapshot it exported: the data as of `consistentPoint`. Copying the tables
 * inside this snapshot and then streaming from `consistentPoint` leaves no gap and no overlap.
 * The snapshot only lives while the connection that created the slot stays idle, so the copy must
 * finish before `close()`.
 */
export interface ExportedSnapshot {
  readonly slotName: string;
  readonly consistentPoint: Lsn;
  readonly snapshotName: string;
  close(): Promise<void>;
}

/** Slot names are checked by the config schema (`[a-z0-9_]{1,63}`); checked again here. */
function assertSlotName(name: string): void {
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`invalid replication slot name '${name}'`);
}

/**
 * Called as the slot's creation starts, with the pid of the backend creating it; the function it
 * returns is called once the creation is over (src/replication/slot-creation-wait.ts).
 */
export type CreationWatch = (creatorPid: number) => () => void;

/**
 * `CREATE_REPLICATION_SLOT … LOGICAL plugin` with an exported snapshot, on a replication
 * connection (`replication=database`), which is the only place the snapshot can be exported.
 * PostgreSQL 15 renamed the option: `(SNAPSHOT 'export')`; before, `EXPORT_SNAPSHOT`. Creating a
 * slot waits for running write transactions to finish, which `watch` can report.
 */
export async function createSlotExportingSnapshot(
  config: TapConfig,
  slotName: string,
  plugin: DecodingPlugin,
  watch?: CreationWatch,
): Promise<ExportedSnapshot> {
  assertSlotName(slotName);
  const client = await connectReplication(config);
  try {
    const v = await client.query<{ server_version_num: string; pid: string; standby: string }>(
      `SELECT current_setting('server_version_num') AS server_version_num,
              pg_catalog.pg_backend_pid() AS pid, pg_catalog.pg_is_in_recovery()::text AS standby`,
    );
    const version = Number(v.rows[0]?.server_version_num ?? 0);
    const modern = version >= 150000;
    // The snapshot lives as long as this session stays idle, for the whole copy: a role's
    // idle_session_timeout would end it before a later table's ranged copy imports it.
    if (version >= 140000) await client.query('SET idle_session_timeout = 0');
    const unwatch = watch?.(Number(v.rows[0]!.pid));
    // A standby's own slot has nothing to fail over to (the server refuses the option there).
    const onStandby = v.rows[0]?.standby === 'true';
    const failover = failoverSlotWanted(config, version) && !onStandby ? ', FAILOVER true' : '';
    const r = await client
      .query<{ consistent_point: string; snapshot_name: string }>(
        `CREATE_REPLICATION_SLOT ${slotName} LOGICAL ${plugin} ${modern ? `(SNAPSHOT 'export'${failover})` : 'EXPORT_SNAPSHOT'}`,
      )
      .finally(unwatch);
    const row = r.rows[0];
    if (!row?.snapshot_name) throw new Error('CREATE_REPLICATION_SLOT returned no snapshot');
    return {
      slotName,
      consistentPoint: parseLsn(row.consistent_point),
      snapshotName: row.snapshot_name,
      close: async () => {
        await client.end().catch(() => {});
      },
    };
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
}

/**
 * PostgreSQL 17 can synchronise a logical slot to physical standbys (FAILOVER), so that the slot,
 * and with it every change not yet read, survives a failover. Off when the config says so.
 */
export function failoverSlotWanted(config: Pick<TapConfig, 'failoverSlot'>, version: number) {
  return config.failoverSlot && version >= 170000;
}

/**
 * Turns FAILOVER on for a slot made without it (by an earlier version of the tap, or by hand).
 * Only the replication protocol can (ALTER_REPLICATION_SLOT, PostgreSQL 17+), and only on a
 * primary, while no one reads the slot.
 */
export async function enableSlotFailover(config: TapConfig, slotName: string): Promise<void> {
  assertSlotName(slotName);
  const client = await connectReplication(config);
  try {
    await client.query(`ALTER_REPLICATION_SLOT ${slotName} (FAILOVER true)`);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Starts a transaction on `client` that sees exactly the exported snapshot. The caller reads the
 * tables, then COMMITs.
 */
export async function beginInSnapshot(client: ClientBase, snapshotName: string): Promise<void> {
  if (!/^[0-9A-F-]+$/i.test(snapshotName))
    throw new Error(`invalid snapshot name '${snapshotName}'`);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await client.query(`SET TRANSACTION SNAPSHOT '${snapshotName}'`);
}

export async function dropSlot(client: ClientBase, slotName: string): Promise<void> {
  await client.query('SELECT pg_catalog.pg_drop_replication_slot($1)', [slotName]);
}

/**
 * The server's WAL position as SQL: written on a primary, replayed on a standby (which writes
 * none of its own, and decodes only what it has replayed).
 */
export const SERVER_WAL_LSN_SQL = `(CASE WHEN pg_catalog.pg_is_in_recovery()
  THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn() END)`;

/** The server's current WAL position (SERVER_WAL_LSN_SQL). */
export async function currentWalLsn(client: Pick<ClientBase, 'query'>): Promise<Lsn> {
  const r = await client.query<{ lsn: string }>(`SELECT ${SERVER_WAL_LSN_SQL}::text AS lsn`);
  return parseLsn(r.rows[0]!.lsn);
}
