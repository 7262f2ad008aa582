import type { TapConfig } from '../config/tap-config';
import { serverAddress, type HostPort } from '../config/hosts';
import { configForHost } from '../db/first-connection';
import type { Queryable } from '../discovery/catalog-query';
import { connectNegotiatingTls } from '../db/tls-fallback';
import { ok, type Finding } from '../readiness/finding';
import { formatLsn, parseLsn } from '../replication/lsn';
import type { SlotInfo } from '../replication/slot';
import type { Logger } from '../log/logger';

/** A physical standby streaming from this server, as the primary sees it. */
interface StandbyRow {
  name: string;
  client: string | null;
  slot: string | null;
}

const STANDBYS_SQL = `
  SELECT r.application_name AS name, r.client_addr::text AS client,
         (SELECT s.slot_name FROM pg_catalog.pg_replication_slots s
           WHERE s.active_pid = r.pid AND s.slot_type = 'physical') AS slot
    FROM pg_catalog.pg_stat_replication r
    JOIN pg_catalog.pg_stat_activity a ON a.pid = r.pid
   WHERE a.datname IS NULL`;

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Will the slot survive a failover? Seen from the server the run settled on (the primary): its
 * version, the slot's FAILOVER flag, the standbys streaming from it, and
 * synchronized_standby_slots; then, for every other server of the host list that is a standby,
 * what slot synchronisation needs there.
 */
export async function failoverFindings(
  client: Queryable,
  config: TapConfig,
  slot: SlotInfo | null,
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<Finding[]> {
  const s = (
    await client.query<{ n: string; standby: string }>(
      `SELECT current_setting('server_version_num') AS n,
              pg_catalog.pg_is_in_recovery()::text AS standby`,
    )
  ).rows[0]!;
  const version = Number(s.n);
  if (s.standby === 'true') return standbyDecodingFindings(client, config, log);
  const standbys = (await client.query<StandbyRow>(STANDBYS_SQL)).rows;
  const names = standbys.map((b) => `'${b.name || b.client || '?'}'`).join(', ');
  const name = config.replicationSlot;
  if (version < 170000) {
    const what = `PostgreSQL ${Math.floor(version / 10000)} cannot synchronise logical slots to standbys: after a failover slot '${name}' is gone, and the next run fails (or, with resnapshot_on_slot_loss, copies the tables again)`;
    return [
      standbys.length > 0
        ? {
            status: 'warning',
            what: `${what}; standbys streaming from this server: ${names}`,
            then: 'PostgreSQL 17 keeps a copy on the standbys (failover slots)',
          }
        : ok(`${what}; no standby streams from this server`),
    ];
  }
  const out: Finding[] = [];
  if (!config.failoverSlot) {
    out.push({
      status: 'warning',
      what: `failover_slot is off: slot '${name}' is not synchronised to standbys and is lost on a failover`,
      then: 'set failover_slot to true (the default)',
    });
  } else if (!slot) {
    out.push(ok(`the first LOG_BASED run creates slot '${name}' with FAILOVER`));
  } else if (slot.failover) {
    out.push(ok(`slot '${name}' has FAILOVER: standbys with sync_replication_slots keep a copy`));
  } else {
    out.push({
      status: 'warning',
      what: `slot '${name}' was made without FAILOVER, so standbys keep no copy of it`,
      then: 'the next run turns it on (failover_slot)',
    });
  }
  if (standbys.length === 0) {
    out.push(ok('no standby streams from this server: there is nothing to fail over to'));
    return out;
  }
  for (const b of standbys.filter((x) => !x.slot)) {
    out.push({
      status: 'warning',
      what: `standby '${b.name || b.client || '?'}' streams without a physical replication slot: slot synchronisation needs one (primary_slot_name)`,
      fix: `SELECT pg_create_physical_replication_slot('${(b.name || 'standby').replace(/[^a-z0-9_]/gi, '_').toLowerCase()}');`,
      then: 'and set primary_slot_name to it on the standby',
    });
  }
  const physical = standbys.map((b) => b.slot).filter((x): x is string => !!x);
  const guarded = (
    await client.query<{ v: string }>(`SELECT current_setting('synchronized_standby_slots') AS v`)
  ).rows[0]!.v;
  const listed = guarded
    .split(',')
    .map((x) => x.trim().replace(/^"|"$/g, ''))
    .filter(Boolean);
  const missing = physical.filter((p) => !listed.includes(p));
  if (physical.length > 0 && missing.length > 0) {
    out.push({
      status: 'warning',
      what: `synchronized_standby_slots does not name ${missing.map((m) => `'${m}'`).join(', ')}: the tap may read changes that standby has not received yet, and after a failover to it the state would be ahead of the slot`,
      fix: `ALTER SYSTEM SET synchronized_standby_slots = ${quoteLiteral([...listed, ...missing].join(','))};`,
      then: 'and SELECT pg_reload_conf();',
    });
  } else if (physical.length > 0) {
    out.push(
      ok(
        `synchronized_standby_slots holds the tap back until ${physical.map((p) => `'${p}'`).join(', ')} have the WAL`,
      ),
    );
  }
  const others = config.hosts.filter((h) => h.host !== config.host || h.port !== config.port);
  for (const h of others) out.push(...(await standbyFindings(config, h, slot, log)));
  return out;
}

/**
 * Decoding on a standby (16+): the slot is on this server, so a failover elsewhere leaves it in
 * place; what it needs is hot_standby_feedback (without it the primary removes catalog rows the
 * slot still needs, and the slot is invalidated) and wal_level = logical on the primary, asked of
 * the primaries of the host list.
 */
async function standbyDecodingFindings(
  client: Queryable,
  config: TapConfig,
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<Finding[]> {
  const r = await client.query<{ feedback: string; n: string }>(
    `SELECT current_setting('hot_standby_feedback') AS feedback,
            current_setting('server_version_num') AS n`,
  );
  const { feedback, n } = r.rows[0]!;
  const out: Finding[] = [];
  if (Number(n) < 160000) {
    out.push({
      status: 'problem',
      what: `this server is a PostgreSQL ${Math.floor(Number(n) / 10000)} standby: logical decoding on a standby needs PostgreSQL 16 or later`,
      then: 'connect to the primary (target_session_attrs read-write)',
    });
    return out;
  }
  out.push(
    ok(
      'this server is a standby decoding with a slot of its own: a failover elsewhere leaves the slot in place',
    ),
  );
  out.push(
    feedback === 'on'
      ? ok('hot_standby_feedback is on: the primary keeps the catalog rows the slot needs')
      : {
          status: 'warning',
          what: "hot_standby_feedback is off: the primary may remove catalog rows the slot still needs, and the slot is then invalidated ('rows removed')",
          fix: 'ALTER SYSTEM SET hot_standby_feedback = on;',
          then: 'and SELECT pg_reload_conf(); on this standby',
        },
  );
  for (const h of config.hosts.filter((x) => x.host !== config.host || x.port !== config.port)) {
    let conn;
    try {
      conn = await connectNegotiatingTls(configForHost(config, h), log);
    } catch {
      continue;
    }
    try {
      const p = (
        await conn.client.query<{ standby: string; wal_level: string }>(
          `SELECT pg_catalog.pg_is_in_recovery()::text AS standby,
                  current_setting('wal_level') AS wal_level`,
        )
      ).rows[0]!;
      if (p.standby === 'true') continue;
      out.push(
        p.wal_level === 'logical'
          ? ok(`the primary ${serverAddress(h)} has wal_level 'logical'`)
          : {
              status: 'problem',
              what: `the primary ${serverAddress(h)} has wal_level '${p.wal_level}': decoding on a standby needs 'logical' on the primary`,
              fix: 'ALTER SYSTEM SET wal_level = logical;',
              then: 'and restart the primary',
            },
      );
    } finally {
      await conn.client.end().catch(() => {});
    }
  }
  return out;
}

interface StandbySettings {
  standby: string;
  sync: string;
  feedback: string;
  slot_name: string;
  wal_level: string;
  conninfo: string | null;
  synced: string | null;
  failover: string | null;
  confirmed: string | null;
}

/** What slot synchronisation needs on one standby of the host list, each with its fix. */
async function standbyFindings(
  config: TapConfig,
  h: HostPort,
  primarySlot: SlotInfo | null,
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<Finding[]> {
  const where = serverAddress(h);
  let conn;
  try {
    conn = await connectNegotiatingTls(configForHost(config, h), log);
  } catch (e) {
    return [
      {
        status: 'unknown',
        what: `host ${where} of the host list: ${e instanceof Error ? e.message : String(e)}`,
      },
    ];
  }
  try {
    const r = await conn.client.query<StandbySettings>(
      `SELECT pg_catalog.pg_is_in_recovery()::text AS standby,
              current_setting('sync_replication_slots', true) AS sync,
              current_setting('hot_standby_feedback') AS feedback,
              current_setting('primary_slot_name') AS slot_name,
              current_setting('wal_level') AS wal_level,
              CASE WHEN pg_catalog.pg_has_role('pg_read_all_settings', 'MEMBER')
                   THEN current_setting('primary_conninfo') END AS conninfo,
              (SELECT pg_catalog.to_jsonb(s) ->> 'synced' FROM pg_catalog.pg_replication_slots s
                WHERE slot_name = $1) AS synced,
              (SELECT pg_catalog.to_jsonb(s) ->> 'failover' FROM pg_catalog.pg_replication_slots s
                WHERE slot_name = $1) AS failover,
              (SELECT confirmed_flush_lsn::text FROM pg_catalog.pg_replication_slots
                WHERE slot_name = $1) AS confirmed`,
      [config.replicationSlot],
    );
    const s = r.rows[0]!;
    if (s.standby !== 'true') {
      return [ok(`host ${where} of the host list is not a standby`)];
    }
    const on = (v: string | null) => v === 'on';
    const out: Finding[] = [];
    const set = (name: string, value: string) => `ALTER SYSTEM SET ${name} = ${value};`;
    if (!on(s.sync)) {
      out.push({
        status: 'warning',
        what: `standby ${where}: sync_replication_slots is off, so it keeps no copy of slot '${config.replicationSlot}'`,
        fix: set('sync_replication_slots', 'on'),
        then: 'and SELECT pg_reload_conf(); on the standby',
      });
    }
    if (!on(s.feedback)) {
      out.push({
        status: 'warning',
        what: `standby ${where}: hot_standby_feedback is off; slot synchronisation needs it`,
        fix: set('hot_standby_feedback', 'on'),
        then: 'and SELECT pg_reload_conf(); on the standby',
      });
    }
    if (!s.slot_name) {
      out.push({
        status: 'warning',
        what: `standby ${where}: primary_slot_name is empty; slot synchronisation needs a physical slot on the primary`,
        then: "create one on the primary (SELECT pg_create_physical_replication_slot('standby1');) and set primary_slot_name to it on the standby",
      });
    }
    if (s.wal_level !== 'logical') {
      out.push({
        status: 'warning',
        what: `standby ${where}: wal_level is '${s.wal_level}'; once promoted it cannot decode until it is 'logical'`,
        fix: set('wal_level', 'logical'),
        then: 'and restart the standby',
      });
    }
    if (s.conninfo === null) {
      out.push({
        status: 'unknown',
        what: `standby ${where}: primary_conninfo is not readable by this role, so whether it names a dbname (slot synchronisation needs one) is unknown`,
        then: 'check it as a superuser, or GRANT pg_read_all_settings',
      });
    } else if (!/(^|\s)dbname\s*=/.test(s.conninfo)) {
      out.push({
        status: 'warning',
        what: `standby ${where}: primary_conninfo names no dbname; slot synchronisation needs one`,
        then: 'add dbname=<a database> to primary_conninfo on the standby and SELECT pg_reload_conf();',
      });
    }
    if (s.synced === 'true') {
      const behind =
        primarySlot?.confirmedFlushLsn !== null &&
        primarySlot?.confirmedFlushLsn !== undefined &&
        s.confirmed !== null &&
        parseLsn(s.confirmed) < primarySlot.confirmedFlushLsn;
      out.push(
        behind
          ? {
              status: 'warning',
              what: `standby ${where}: its copy of slot '${config.replicationSlot}' is at ${s.confirmed}, behind the primary's ${formatLsn(primarySlot!.confirmedFlushLsn!)}: it catches up at the next synchronisation`,
            }
          : ok(
              `standby ${where} has a synced copy of slot '${config.replicationSlot}' (at ${s.confirmed ?? '?'})`,
            ),
      );
    } else if (out.length === 0) {
      out.push({
        status: 'warning',
        what: `standby ${where} has no synced copy of slot '${config.replicationSlot}' yet`,
        then: primarySlot?.failover
          ? 'it appears within a minute of the next synchronisation cycle (or SELECT pg_sync_replication_slots(); on the standby)'
          : 'the slot needs FAILOVER first (failover_slot)',
      });
    }
    if (out.length === 0) out.push(ok(`standby ${where} is ready for a failover`));
    return out;
  } finally {
    await conn.client.end().catch(() => {});
  }
}
