import type { Queryable } from '../../discovery/catalog-query';
import type { Logger } from '../../log/logger';
import { SERVER_WAL_LSN_SQL } from '../../replication/slot';
import { isStandby } from '../../db/standby';

const MB = 1024 * 1024;

/**
 * Says at start how much WAL the slot holds back and whether the server bounds it: a slot that is
 * not read (or not acknowledged) keeps every WAL segment after its restart_lsn, and with
 * `max_slot_wal_keep_size = -1` that goes on until the disk is full.
 */
export async function logSlotRetention(
  client: Queryable,
  log: Logger,
  slotName: string,
  warnMb: number,
): Promise<void> {
  const r = await client.query<{
    bytes: string | null;
    pretty: string | null;
    wal_status: string | null;
    keep: string;
  }>(
    `SELECT pg_wal_lsn_diff(${SERVER_WAL_LSN_SQL}, restart_lsn)::text AS bytes,
            pg_size_pretty(pg_wal_lsn_diff(${SERVER_WAL_LSN_SQL}, restart_lsn)) AS pretty,
            wal_status, current_setting('max_slot_wal_keep_size') AS keep
       FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`,
    [slotName],
  );
  const row = r.rows[0];
  if (!row) return;
  const bytes = Number(row.bytes ?? 0);
  log.info(
    `replication slot '${slotName}' retains ${row.pretty ?? '0 bytes'} of WAL (wal_status: ${row.wal_status ?? 'unknown'}, max_slot_wal_keep_size: ${row.keep === '-1' ? 'unlimited' : row.keep})`,
  );
  if (bytes > warnMb * MB) {
    log.warn(
      `replication slot '${slotName}' retains ${row.pretty ?? ''} of WAL, more than wal_retained_warn_mb (${warnMb} MB): run the tap more often, or with a state whose targets committed recently, so the slot can be confirmed further`,
    );
  }
  if (row.keep === '-1') {
    log.warn(
      `max_slot_wal_keep_size is -1 (unlimited): if this slot stops being read, the server keeps WAL until its disk is full; bound it with \`ALTER SYSTEM SET max_slot_wal_keep_size = '50GB'; SELECT pg_reload_conf();\` (a slot past the bound is invalidated and the streams must be copied again)`,
    );
  }
}

export const HEARTBEAT_PREFIX = 'tap-postgres-heartbeat';

/**
 * Writes a tiny WAL record (`pg_logical_emit_message`, PG 14+) every `intervalSeconds`: the
 * walsender decodes past it and reports the new position in its next keepalive, so the bookmarks,
 * and with the next run's acknowledgement the slot, move even when nothing at all is written to
 * the database. The message is never published (pgoutput's `messages` option stays off); a
 * decoder that passes messages on has them skipped by the loop.
 *
 * Transactional, because a walsender decodes only flushed WAL and a non-transactional message is
 * not flushed by itself (the WAL writer flushes partial pages only for asynchronous commits): on
 * a database with no other writes it could sit unflushed for good (seen on PG 14). Its
 * transaction's commit flushes it. A READ ONLY session may do this: it writes no table.
 */
export class Heartbeat {
  private last = 0;
  private disabled: boolean;

  constructor(
    private readonly client: Queryable,
    private readonly intervalSeconds: number,
    private readonly log: Logger,
  ) {
    this.disabled = intervalSeconds <= 0;
  }

  /** Writes a heartbeat when one is due (always on the first call). */
  async beat(): Promise<void> {
    if (this.disabled || Date.now() - this.last < this.intervalSeconds * 1000) return;
    if (this.last === 0 && (await isStandby(this.client))) {
      this.disabled = true;
      this.log.info(
        'heartbeat_interval_seconds: this server is a standby, which cannot write a heartbeat; an idle slot here advances when the primary writes (a row written to any table on the primary every few minutes keeps it moving)',
      );
      return;
    }
    this.last = Date.now();
    try {
      const r = await this.client.query<{ lsn: string }>(
        `SELECT pg_catalog.pg_logical_emit_message(true, $1, '')::text AS lsn`,
        [HEARTBEAT_PREFIX],
      );
      this.log.debug(`heartbeat written at ${r.rows[0]?.lsn ?? '?'}`);
    } catch (e) {
      this.disabled = true;
      this.log.warn(
        `heartbeat_interval_seconds: pg_logical_emit_message failed (${e instanceof Error ? e.message : String(e)}); no more heartbeats this run`,
      );
    }
  }
}
