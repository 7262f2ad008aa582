import {
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/embedded/embedded-server';
import { runnableBinDir } from '../../src/embedded/postgres-binaries';
import { PostgresCluster, type StopMode } from '../../src/embedded/postgres-cluster';
import { serverOsUser, type ServerOsUser } from '../../src/embedded/server-os-user';

/**
 * A PostgreSQL primary and a physical hot standby streaming from it, for failover tests of
 * logical replication slots: from 17 on, the standby keeps a synchronised copy of every slot
 * created with `failover`, which becomes usable once the standby is promoted.
 */
export interface PairMember {
  /** Superuser connection string to the `postgres` database. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
}

export interface StandbyPair {
  readonly version: 16 | 17 | 18;
  readonly primary: PairMember;
  readonly standby: PairMember;
  /** The physical slot on the primary that the standby streams through. */
  readonly physicalSlot: string;
  /** Stops both servers (whichever still run) and removes their files. */
  stop(): Promise<void>;
  /** `immediate` is a crash: no shutdown checkpoint, nothing more sent to the standby. */
  stopPrimary(mode?: StopMode): Promise<void>;
  /** Ends recovery on the standby; resolves once it accepts writes. */
  promoteStandby(): Promise<void>;
  /** Waits until the standby has replayed the primary's WAL as of this call. */
  waitForStandbyReplay(timeoutMs?: number): Promise<void>;
  /**
   * Waits until the standby holds a synchronised copy of logical slot `slot` of `database`,
   * confirmed at least as far as the primary's slot is at this call (17+).
   */
  waitForSyncedSlot(slot: string, database: string, timeoutMs?: number): Promise<void>;
  /**
   * The standby keeps its copy of a new slot temporary (so `waitForSyncedSlot` waits in vain)
   * until the primary's slot has moved past running-xacts records logged after its creation:
   * this logs two and advances the slot over each. Whatever the slot has not consumed yet is
   * skipped too, so call it when its consumer has caught up and stopped.
   */
  nudgeSlot(slot: string, database: string): Promise<void>;
}

export interface StandbyPairOptions {
  version?: 16 | 17 | 18;
  /** Server log lines, tagged `primary` or `standby`. */
  onLog?: (server: 'primary' | 'standby', line: string) => void;
}

// Not 'postgres': log redaction masks the password wherever it appears.
const PASSWORD = 'standby-pair-pw-7c2d';
const PHYSICAL_SLOT = 'tap_standby';

/**
 * What a base backup leaves out, as pg_basebackup does: files of the running server, WAL (the
 * standby streams it through the physical slot, which holds it since before the backup began),
 * slots, and transient state the server rebuilds.
 */
const EMPTY_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_stat_tmp',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_subtrans',
  'log',
]);
const SKIPPED_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'pg_internal.init',
  'backup_label',
  'tablespace_map',
  'standby.signal',
  'recovery.signal',
  'postgresql.auto.conf.tmp',
]);

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/**
 * Copies a running server's data directory. Files may vanish under the copy (a dropped relation,
 * a removed temporary file); the WAL replayed from the backup's start makes up for them.
 */
function copyDataDir(from: string, to: string, user: ServerOsUser, top = true): void {
  mkdirSync(to, { mode: 0o700 });
  if (user) chownSync(to, user.uid, user.gid);
  let entries;
  try {
    entries = readdirSync(from, { withFileTypes: true });
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
    throw e;
  }
  for (const entry of entries) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      // pg_wal keeps its subdirectories (archive_status, summaries), none of their files.
      if (top && EMPTY_DIRS.has(entry.name)) {
        mkdirSync(dst, { mode: 0o700 });
        if (user) chownSync(dst, user.uid, user.gid);
        if (entry.name === 'pg_wal') {
          for (const sub of readdirSync(src, { withFileTypes: true })) {
            if (!sub.isDirectory()) continue;
            mkdirSync(join(dst, sub.name), { mode: 0o700 });
            if (user) chownSync(join(dst, sub.name), user.uid, user.gid);
          }
        }
        continue;
      }
      copyDataDir(src, dst, user, false);
    } else if (entry.isFile()) {
      if (SKIPPED_FILES.has(entry.name) || entry.name.startsWith('pgsql_tmp')) continue;
      try {
        copyFileSync(src, dst);
      } catch (e) {
        if (errCode(e) === 'ENOENT') continue;
        throw e;
      }
      if (user) chownSync(dst, user.uid, user.gid);
    }
  }
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** Polls `check` until it returns true; on timeout, throws with what `describe` says last. */
async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  describe: () => Promise<string> = async () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      const state = await describe().catch((e: unknown) => String(e));
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${state && `: ${state}`}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether LSN `a` is at or past `b` (both as PostgreSQL prints them, `X/Y`). */
export function lsnAtLeast(a: string, b: string): boolean {
  const n = (lsn: string) => {
    const [hi, lo] = lsn.split('/');
    return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
  };
  return n(a) >= n(b);
}

function urlFor(port: number): string {
  return `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

export async function startStandbyPair(opts: StandbyPairOptions = {}): Promise<StandbyPair> {
  const version = opts.version ?? 17;
  const onLog = opts.onLog ?? (() => {});
  const user = serverOsUser();
  const binDir = runnableBinDir(version, user);
  const dirs: string[] = [];
  const clusters: PostgresCluster[] = [];
  const cleanUp = async () => {
    for (const c of [...clusters].reverse()) await c.stop().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    const primaryParent = mkdtempSync(join(tmpdir(), 'tap-postgres-primary-'));
    dirs.push(primaryParent);
    const primaryPort = await freePort();
    const primary = new PostgresCluster({
      binDir,
      parent: primaryParent,
      port: primaryPort,
      password: PASSWORD,
      user,
      settings: {
        wal_level: 'logical',
        max_replication_slots: 20,
        max_wal_senders: 20,
        listen_addresses: '127.0.0.1',
        fsync: 'off',
        // Logical walsenders of failover slots wait until the standby has the WAL they send, so
        // a slot never gets ahead of its copy on the standby.
        ...(version >= 17 ? { synchronized_standby_slots: PHYSICAL_SLOT } : {}),
      },
      onLog: (line) => onLog('primary', line),
    });
    clusters.push(primary);
    await primary.initialise();
    await primary.start();
    const primaryUrl = urlFor(primaryPort);

    const standbyParent = mkdtempSync(join(tmpdir(), 'tap-postgres-standby-'));
    dirs.push(standbyParent);
    await withClient(primaryUrl, async (c) => {
      // Reserved now, before the backup starts: the standby needs the WAL from its start on.
      await c.query('SELECT pg_create_physical_replication_slot($1, true)', [PHYSICAL_SLOT]);
      await c.query(`SELECT pg_backup_start('standby', true)`);
      copyDataDir(primary.dataDir, join(standbyParent, 'data'), user);
      const { rows } = await c.query<{ labelfile: string; spcmapfile: string | null }>(
        'SELECT labelfile, spcmapfile FROM pg_backup_stop(false)',
      );
      const { labelfile, spcmapfile } = rows[0]!;
      const files: Array<[string, string]> = [
        ['backup_label', labelfile],
        ['standby.signal', ''],
      ];
      if (spcmapfile) files.push(['tablespace_map', spcmapfile]);
      for (const [name, text] of files) {
        const path = join(standbyParent, 'data', name);
        writeFileSync(path, text, { mode: 0o600 });
        if (user) chownSync(path, user.uid, user.gid);
      }
    });

    const standbyPort = await freePort();
    const conninfo = [
      'host=127.0.0.1',
      `port=${primaryPort}`,
      'user=postgres',
      `password=${PASSWORD}`,
      // The slot sync worker connects to a database to read the primary's slots.
      'dbname=postgres',
      'application_name=standby',
    ].join(' ');
    const standby = PostgresCluster.adopt({
      binDir,
      parent: standbyParent,
      port: standbyPort,
      password: PASSWORD,
      user,
      settings: {
        primary_conninfo: conninfo,
        primary_slot_name: PHYSICAL_SLOT,
        hot_standby: 'on',
        hot_standby_feedback: 'on',
        ...(version >= 17
          ? {
              sync_replication_slots: 'on',
              // Copied from the primary, it would name a slot that does not exist here: once
              // promoted, the standby's logical walsenders would wait for it forever.
              synchronized_standby_slots: '',
            }
          : {}),
      },
      onLog: (line) => onLog('standby', line),
    });
    clusters.push(standby);
    await standby.start();
    const standbyUrl = urlFor(standbyPort);
    await until(
      'the standby to stream from the primary',
      30_000,
      () =>
        withClient(primaryUrl, async (c) => {
          const { rows } = await c.query(
            `SELECT 1 FROM pg_stat_replication WHERE application_name = 'standby' AND state = 'streaming'`,
          );
          return rows.length > 0;
        }),
      () =>
        withClient(standbyUrl, async (c) =>
          JSON.stringify((await c.query('SELECT status FROM pg_stat_wal_receiver')).rows),
        ),
    );

    const onDatabase = (url: string, database: string) => {
      const u = new URL(url);
      u.pathname = `/${encodeURIComponent(database)}`;
      return u.toString();
    };
    const currentLsn = () =>
      withClient(
        primaryUrl,
        async (c) =>
          (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn,
      );

    return {
      version,
      primary: { url: primaryUrl, port: primaryPort, dataDir: primary.dataDir },
      standby: { url: standbyUrl, port: standbyPort, dataDir: standby.dataDir },
      physicalSlot: PHYSICAL_SLOT,
      stop: cleanUp,
      stopPrimary: (mode: StopMode = 'fast') => primary.stop(mode),
      async promoteStandby() {
        await withClient(standbyUrl, async (c) => {
          const { rows } = await c.query<{ ok: boolean }>('SELECT pg_promote(true, 60) AS ok');
          if (!rows[0]!.ok) throw new Error('pg_promote did not finish within 60 s');
          await until('the standby to leave recovery', 30_000, async () => {
            const r = await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
            return !r.rows[0]!.r;
          });
        });
      },
      async waitForStandbyReplay(timeoutMs = 30_000) {
        const target = await currentLsn();
        await withClient(standbyUrl, async (c) => {
          let replayed = '';
          await until(
            `the standby to replay up to ${target}`,
            timeoutMs,
            async () => {
              const { rows } = await c.query<{ lsn: string | null }>(
                'SELECT pg_last_wal_replay_lsn()::text AS lsn',
              );
              replayed = rows[0]!.lsn ?? '0/0';
              return lsnAtLeast(replayed, target);
            },
            async () => `replayed up to ${replayed}`,
          );
        });
      },
      async waitForSyncedSlot(slot: string, database: string, timeoutMs = 30_000) {
        if (version < 17) throw new Error(`PostgreSQL ${version} does not synchronise slots`);
        const target = await withClient(primaryUrl, async (c) => {
          const { rows } = await c.query<{ lsn: string | null }>(
            `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots
              WHERE slot_name = $1 AND database = $2`,
            [slot, database],
          );
          if (rows.length === 0) throw new Error(`the primary has no slot ${slot} in ${database}`);
          return rows[0]!.lsn ?? '0/0';
        });
        await withClient(standbyUrl, async (c) => {
          let seen = 'no such slot';
          let temporary = false;
          await until(
            `the standby's copy of slot ${slot} to reach ${target}`,
            timeoutMs,
            async () => {
              // The sync worker naps up to 30 s when nothing changes: a sync now saves the wait.
              // It refuses while the worker itself syncs; the next round tries again.
              await c.query('SELECT pg_sync_replication_slots()').catch(() => {});
              const { rows } = await c.query<{
                synced: boolean;
                temporary: boolean;
                lsn: string | null;
              }>(
                `SELECT synced, temporary, confirmed_flush_lsn::text AS lsn
                   FROM pg_replication_slots WHERE slot_name = $1 AND database = $2`,
                [slot, database],
              );
              const row = rows[0];
              if (!row) return false;
              seen = JSON.stringify(row);
              temporary = row.temporary;
              return row.synced && row.lsn !== null && lsnAtLeast(row.lsn, target);
            },
            async () =>
              temporary
                ? `${seen}; the copy is still temporary: see nudgeSlot (the standby's log says why)`
                : seen,
          );
        });
      },
      async nudgeSlot(slot: string, database: string) {
        await withClient(onDatabase(primaryUrl, database), async (c) => {
          for (let i = 0; i < 2; i++) {
            const { rows } = await c.query<{ lsn: string }>(
              'SELECT pg_log_standby_snapshot()::text AS lsn',
            );
            const lsn = rows[0]!.lsn;
            // No commit flushes the record; the slot only advances over flushed WAL, which the
            // WAL writer brings within its delay.
            await until(`WAL to be flushed up to ${lsn}`, 10_000, async () => {
              const r = await c.query<{ ok: boolean }>(
                'SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS ok',
                [lsn],
              );
              return r.rows[0]!.ok;
            });
            await c.query('SELECT pg_replication_slot_advance($1, $2::pg_lsn)', [slot, lsn]);
          }
        });
      },
    };
  } catch (e) {
    await cleanUp();
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot start a PostgreSQL ${version} primary with a standby: ${why}`);
  }
}

/** A session on `url`'s server in database `db`; one that dies with its server is no crash. */
export async function connectTo(url: string, db: string): Promise<Client> {
  const u = new URL(url);
  u.pathname = `/${db}`;
  const c = new Client({ connectionString: u.toString() });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/**
 * A tap config that lists both servers of the pair, primary first, for database `dbname`;
 * `extra` adds or overrides keys.
 */
export function pairConfig(
  pair: StandbyPair,
  dbname: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const u = new URL(pair.primary.url);
  return {
    host: '127.0.0.1,127.0.0.1',
    port: `${pair.primary.port},${pair.standby.port}`,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    dbname,
    logical_poll_total_seconds: 3,
    ...extra,
  };
}
