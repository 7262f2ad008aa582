import type { TapConfig } from '../../config/tap-config';
import type { Queryable } from '../../discovery/catalog-query';
import { qualifiedName, quoteIdent } from '../../db/quote';
import { InputError, RuntimeError } from '../../errors';
import type { Logger } from '../../log/logger';
import { findingMessage, firstProblem, ok, type Finding } from '../../readiness/finding';
import { compareLsn, formatLsn } from '../../replication/lsn';
import { currentWalLsn, SERVER_WAL_LSN_SQL, slotInfo, type SlotInfo } from '../../replication/slot';
import { divergedStreams } from './timeline-rule';
import type { Bookmark, TapState } from '../../state/tap-state';
import { lsnAheadOfServer, stateLsn } from './offset';
import {
  LEAVES_FROM,
  logBasedTableFindings,
  type LogBasedStreamTable,
  type LogBasedTable,
} from './table-readiness';
import { wal2jsonFinding } from '../../replication/wal2json/plugin-available';

/**
 * What LOG_BASED needs from the server, the role, the slot, the publication and each table, as
 * findings (src/readiness/finding.ts). `--check` prints them all; the sync stops at the first
 * problem (before anything is written) and logs the warnings. One set of checks, so the two never
 * disagree.
 */

export type { LogBasedTable };

const SETTINGS_SQL = `
SELECT current_setting('wal_level') AS wal_level,
       current_user AS who,
       current_database() AS db,
       (SELECT (r.rolreplication OR r.rolsuper)::text FROM pg_catalog.pg_roles AS r
         WHERE r.rolname = current_user) AS can,
       -- Amazon RDS / Aurora grant logical replication through this role, not the attribute.
       EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r
                WHERE r.rolname = 'rds_replication'
                  AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))::text AS rds,
       current_setting('max_replication_slots') AS max_slots,
       (SELECT count(*) FROM pg_catalog.pg_replication_slots)::text AS used_slots,
       current_setting('max_wal_senders') AS max_senders,
       current_setting('output_plugin_libraries', true) AS plugins,
       (SELECT count(*) FROM pg_catalog.pg_stat_activity
         WHERE backend_type = 'walsender')::text AS used_senders`;

interface Settings {
  wal_level: string;
  who: string;
  db: string;
  can: string | null;
  rds: string;
  max_slots: string;
  used_slots: string;
  max_senders: string;
  used_senders: string;
  /** Servers whose minor release restricts output plugins (null elsewhere). */
  plugins: string | null;
}

const GIB = 1024 ** 3;

function bytes(n: number): string {
  if (n >= GIB) return `${(n / GIB).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.round(n / 1024)} kB`;
}

/**
 * wal_level, the REPLICATION privilege, free slots and walsenders, and the slot itself (plugin,
 * database, lost WAL, in use, retained WAL). `slot` is what pg_replication_slots says (null: the
 * first run creates it).
 */
export async function replicationFindings(
  client: Queryable,
  config: TapConfig,
  slot: SlotInfo | null,
): Promise<Finding[]> {
  const s = (await client.query<Settings>(SETTINGS_SQL)).rows[0]!;
  const out: Finding[] = [];
  out.push(
    s.wal_level === 'logical'
      ? ok(`wal_level is 'logical'`)
      : {
          status: 'problem',
          what: `wal_level is '${s.wal_level}', LOG_BASED needs 'logical'`,
          fix: 'ALTER SYSTEM SET wal_level = logical;',
          then: 'and restart PostgreSQL',
        },
  );
  out.push(
    s.can === 'true' || s.rds === 'true'
      ? ok(`role '${s.who}' may replicate`)
      : {
          status: 'problem',
          what: `role '${s.who}' lacks the REPLICATION privilege`,
          fix: `ALTER ROLE ${quoteIdent(s.who)} WITH REPLICATION;`,
        },
  );
  const senders = Number(s.used_senders);
  const maxSenders = Number(s.max_senders);
  out.push(
    senders < maxSenders
      ? ok(`max_wal_senders: ${senders} of ${maxSenders} in use`)
      : {
          status: 'problem',
          what: `all ${maxSenders} WAL senders (max_wal_senders) are in use`,
          fix: `ALTER SYSTEM SET max_wal_senders = ${maxSenders + 5};`,
          then: 'and restart PostgreSQL (or stop an idle replication client)',
        },
  );
  const allowed = s.plugins?.split(',').map((p) => p.trim()) ?? null;
  if (allowed && !allowed.includes(config.logicalDecodingPlugin)) {
    const list = [...allowed.filter((p) => p !== ''), config.logicalDecodingPlugin].join(', ');
    out.push({
      status: 'problem',
      what: `output plugin ${config.logicalDecodingPlugin} is not in output_plugin_libraries ('${s.plugins}'): the server refuses to decode with it`,
      fix: `ALTER SYSTEM SET output_plugin_libraries = '${list}';`,
      then: 'and SELECT pg_reload_conf();',
    });
  }
  if (slot) {
    out.push(...(await slotFindings(client, config, slot, s.db)));
  } else {
    const used = Number(s.used_slots);
    const max = Number(s.max_slots);
    out.push(
      used < max
        ? ok(
            `replication slot '${config.replicationSlot}' does not exist yet; the first LOG_BASED run creates it (${used} of ${max} slots in use)`,
          )
        : {
            status: 'problem',
            what: `replication slot '${config.replicationSlot}' does not exist and all ${max} slots (max_replication_slots) are in use`,
            fix: `ALTER SYSTEM SET max_replication_slots = ${max + 5};`,
            then: 'and restart PostgreSQL, or drop a slot nobody reads (SELECT slot_name FROM pg_replication_slots WHERE NOT active)',
          },
    );
  }
  return out;
}

async function slotFindings(
  client: Queryable,
  config: TapConfig,
  slot: SlotInfo,
  db: string,
): Promise<Finding[]> {
  const name = slot.slotName;
  const plugin = config.logicalDecodingPlugin;
  const drop = `SELECT pg_drop_replication_slot('${name}');`;
  if (slot.plugin !== plugin) {
    return [
      {
        status: 'problem',
        what: `replication slot '${name}' uses the plugin '${slot.plugin}', not '${plugin}'`,
        verb: 'drop it with',
        fix: drop,
        then: 'or set replication_slot to another name',
      },
    ];
  }
  if (slot.database !== db) {
    return [
      {
        status: 'problem',
        what: `replication slot '${name}' belongs to database '${slot.database}', not '${db}'`,
        then: 'set replication_slot to another name (slot names are shared by every database)',
      },
    ];
  }
  if (slot.walStatus === 'lost') {
    return [
      {
        status: 'problem',
        what: `replication slot '${name}' has lost WAL it needed (wal_status 'lost'): changes since its last run are gone`,
        fix: drop,
        then: "and remove the LOG_BASED streams' bookmarks from the state, so that the next run copies the tables again",
      },
    ];
  }
  const r = await client.query<{ retained: string | null; pid: string | null; keep: string }>(
    `SELECT pg_catalog.pg_wal_lsn_diff(${SERVER_WAL_LSN_SQL}, restart_lsn)::bigint::text AS retained,
            active_pid::text AS pid, current_setting('max_slot_wal_keep_size') AS keep
       FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  const row = r.rows[0];
  const retained = Number(row?.retained ?? 0);
  const out: Finding[] = [
    ok(
      `replication slot '${name}' (${plugin}) retains ${bytes(retained)} of WAL${slot.walStatus ? `, wal_status '${slot.walStatus}'` : ''}`,
    ),
  ];
  if (slot.walStatus === 'unreserved') {
    out.push({
      status: 'warning',
      what: `replication slot '${name}' is about to lose WAL (wal_status 'unreserved', past max_slot_wal_keep_size = ${row?.keep ?? '?'}): run the tap now`,
    });
  } else if (retained >= GIB) {
    out.push({
      status: 'warning',
      what: `replication slot '${name}' holds ${bytes(retained)} of WAL on the server's disk: run the tap more often, or drop the slot if it is no longer used`,
    });
  }
  if (row?.pid) {
    out.push({
      status: 'warning',
      what: `replication slot '${name}' is in use by process ${row.pid} (another run of the tap?); a sync fails while it is`,
    });
  }
  return out;
}

interface PublicationRow {
  viaroot: string;
  /** PostgreSQL 18+: 's' when stored generated columns are published, 'n' when not; else null. */
  gencols: string | null;
  ins: string;
  upd: string;
  del: string;
  trunc: string;
}

interface TableRow {
  schema: string;
  name: string;
  kind: string;
  published: string;
  /** Partitioned tables: are its partitions published (under their own names)? */
  parts_published: string;
  /** Has a stored generated column. */
  gencols: string;
}

/**
 * The publication pgoutput reads (wal2json uses none): it exists, publishes inserts, updates and
 * deletes, and covers every LOG_BASED table; a partitioned table needs
 * `publish_via_partition_root`, or its changes arrive under the partitions' names.
 */
export async function publicationFindings(
  client: Queryable,
  config: TapConfig,
  tables: readonly LogBasedTable[],
): Promise<Finding[]> {
  return (await inspectPublication(client, config, tables)).findings;
}

interface PublicationInspection {
  readonly findings: Finding[];
  /** The statement that creates the missing publication, when create_publication asks for it. */
  readonly create: string | null;
}

async function inspectPublication(
  client: Queryable,
  config: TapConfig,
  tables: readonly LogBasedTable[],
): Promise<PublicationInspection> {
  if (config.logicalDecodingPlugin !== 'pgoutput' || tables.length === 0)
    return { findings: [], create: null };
  const pub = config.publicationName;
  const q = quoteIdent(pub);
  const p = (
    await client.query<PublicationRow>(
      // pubgencols exists from PostgreSQL 18: read through the row's JSON, null before.
      `SELECT pubviaroot::text AS viaroot, pubinsert::text AS ins, pubupdate::text AS upd,
              pubdelete::text AS del, pubtruncate::text AS trunc,
              to_jsonb(p) ->> 'pubgencols' AS gencols
         FROM pg_catalog.pg_publication AS p WHERE pubname = $1`,
      [pub],
    )
  ).rows[0];
  const rows = (
    await client.query<TableRow>(
      `SELECT t.schema, t.name, coalesce(c.relkind::text, '') AS kind,
              EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables AS pt
                       WHERE pt.pubname = $1 AND pt.schemaname = t.schema
                         AND pt.tablename = t.name)::text AS published,
              (c.relkind = 'p' AND EXISTS (
                 SELECT 1 FROM pg_catalog.pg_partition_tree(c.oid) AS tree
                   JOIN pg_catalog.pg_class AS leaf ON leaf.oid = tree.relid
                   JOIN pg_catalog.pg_namespace AS ln ON ln.oid = leaf.relnamespace
                   JOIN pg_catalog.pg_publication_tables AS pt
                     ON pt.pubname = $1 AND pt.schemaname = ln.nspname
                    AND pt.tablename = leaf.relname
                  WHERE tree.isleaf))::text AS parts_published,
              EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                         AND a.attgenerated = 's')::text AS gencols
         FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(schema, name, ord)
         LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = t.schema
         LEFT JOIN pg_catalog.pg_class AS c ON c.relnamespace = n.oid AND c.relname = t.name
        ORDER BY t.ord`,
      [pub, tables.map((t) => t.schemaName), tables.map((t) => t.tableName)],
    )
  ).rows;
  const partitioned = rows.filter((r) => r.kind === 'p');
  const missing = rows.filter((r) => r.published !== 'true' && r.parts_published !== 'true');
  const list = (rs: readonly TableRow[]) =>
    rs.map((r) => qualifiedName(r.schema, r.name)).join(', ');
  const generated = rows.filter((r) => r.gencols === 'true');
  // PostgreSQL 18 can publish stored generated columns; before, the tap reads them by key.
  const canPublishGenerated =
    generated.length > 0 &&
    Number(
      (await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`))
        .rows[0]!.v,
    ) >= 180000;
  if (!p) {
    const sql = createPublicationSql(pub, rows, canPublishGenerated);
    if (config.createPublication) {
      return {
        findings: [ok(`publication '${pub}' does not exist; the run creates it: ${sql}`)],
        create: sql,
      };
    }
    const missingPub: Finding = {
      status: 'problem',
      what: `publication '${pub}' does not exist`,
      fix: sql,
      then: '(or set create_publication)',
    };
    return { findings: [missingPub], create: null };
  }
  const out: Finding[] = [];
  if (missing.length > 0) {
    out.push({
      status: 'problem',
      what: `publication '${pub}' does not cover the LOG_BASED tables`,
      fix: `ALTER PUBLICATION ${q} ADD TABLE ${list(missing)};`,
      then: '(or set create_publication)',
    });
  }
  if (partitioned.length > 0 && p.viaroot !== 'true') {
    out.push({
      status: 'problem',
      what: `publication '${pub}' publishes the partitions of ${list(partitioned)} under their own names, not as the partitioned table`,
      fix: `ALTER PUBLICATION ${q} SET (publish_via_partition_root = true);`,
    });
  }
  if (canPublishGenerated && p.gencols !== 's') {
    out.push({
      status: 'warning',
      what: `publication '${pub}' does not publish the generated columns of ${list(generated)}: the tap reads them by key, so a record carries the row's value when it is read, not as of its change`,
      fix: `ALTER PUBLICATION ${q} SET (publish_generated_columns = stored);`,
    });
  }
  const ops = (
    [
      ['insert', p.ins],
      ['update', p.upd],
      ['delete', p.del],
    ] as const
  )
    .filter(([, on]) => on !== 'true')
    .map(([op]) => op);
  const allOps = `ALTER PUBLICATION ${q} SET (publish = 'insert, update, delete, truncate');`;
  if (ops.length > 0) {
    out.push({
      status: 'problem',
      what: `publication '${pub}' does not publish ${ops.join(', ')}: those changes would never reach the tap`,
      fix: allOps,
    });
  } else if (p.trunc !== 'true') {
    out.push({
      status: 'warning',
      what: `publication '${pub}' does not publish TRUNCATE: a truncated table keeps its rows downstream`,
      fix: allOps,
    });
  }
  for (const r of rows) {
    if (!missing.includes(r)) out.push(ok(`publication '${pub}' covers ${r.schema}.${r.name}`));
  }
  return { findings: out, create: null };
}

function createPublicationSql(
  pub: string,
  rows: readonly TableRow[],
  publishGenerated: boolean,
): string {
  const tables = rows.map((r) => qualifiedName(r.schema, r.name)).join(', ');
  const options = [
    ...(rows.some((r) => r.kind === 'p') ? ['publish_via_partition_root = true'] : []),
    ...(publishGenerated ? ['publish_generated_columns = stored'] : []),
  ];
  const withOptions = options.length ? ` WITH (${options.join(', ')})` : '';
  return `CREATE PUBLICATION ${quoteIdent(pub)} FOR TABLE ${tables}${withOptions};`;
}

/**
 * REPLICA IDENTITY decides what an UPDATE or DELETE carries. DEFAULT without a primary key, or
 * NOTHING, gives no key: PostgreSQL then refuses UPDATE and DELETE on a table published for them,
 * and nothing could key the change downstream. Partitioned tables: each partition counts.
 */
export async function replicaIdentityFindings(
  client: Queryable,
  tables: readonly LogBasedTable[],
): Promise<Finding[]> {
  const rows = (
    await client.query<{ schema: string; name: string; ident: string; pk: string; leaf: string }>(
      `SELECT ln.nspname AS schema, leaf.relname AS name, leaf.relreplident::text AS ident,
              EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS con
                       WHERE con.conrelid = leaf.oid AND con.contype = 'p')::text AS pk,
              (leaf.oid <> c.oid)::text AS leaf
         ${LEAVES_FROM}
        ORDER BY 1, 2`,
      [tables.map((t) => t.schemaName), tables.map((t) => t.tableName)],
    )
  ).rows;
  return rows.map((r) => {
    const name = `${r.schema}.${r.name}`;
    const fix = `ALTER TABLE ${qualifiedName(r.schema, r.name)} REPLICA IDENTITY FULL;`;
    if (r.ident === 'f') return ok(`${name}: REPLICA IDENTITY FULL`);
    if (r.ident === 'i') return ok(`${name}: REPLICA IDENTITY USING INDEX`);
    if (r.ident === 'd' && r.pk === 'true')
      return ok(`${name}: REPLICA IDENTITY DEFAULT (primary key)`);
    const why =
      r.ident === 'n' ? 'REPLICA IDENTITY NOTHING' : 'REPLICA IDENTITY DEFAULT and no primary key';
    return {
      status: 'warning',
      what: `${name} has ${why}: updates and deletes carry no key (PostgreSQL refuses them while the table is published for them)`,
      fix,
      then: '(or add a primary key)',
    };
  });
}

/** The sync's gate: stops at the first problem, with the SQL that fixes it; logs the warnings. */
export function assertNoProblem(findings: readonly Finding[], log: Logger): void {
  const problem = firstProblem(findings);
  if (problem) {
    const message = findingMessage(problem);
    throw problem.input ? new InputError(message) : new RuntimeError(message);
  }
  for (const f of findings) if (f.status === 'warning') log.warn(findingMessage(f));
}

/** A LOG_BASED stream whose bookmark the slot can no longer serve, and why. */
export interface LostStream {
  readonly id: string;
  readonly why: string;
}

/**
 * The slot must still hold every change after each stream's bookmark: gone (dropped, or a new
 * slot of the same name) or confirmed past the bookmark by someone else
 * (`pg_replication_slot_advance`, another consumer), the changes in between are lost for good.
 */
export function lostStreams(
  config: TapConfig,
  slot: SlotInfo | null,
  tables: readonly LogBasedTable[],
  state: TapState,
): LostStream[] {
  const name = config.replicationSlot;
  const out: LostStream[] = [];
  for (const t of tables) {
    const id = t.tapStreamId;
    const at = stateLsn(state, id);
    if (!at) continue;
    if (!slot) {
      out.push({
        id,
        why: `replication slot '${name}' does not exist but the state has an LSN for ${id}`,
      });
    } else if (slot.confirmedFlushLsn && compareLsn(slot.confirmedFlushLsn, at) > 0) {
      out.push({
        id,
        why: `replication slot '${name}' was confirmed to ${formatLsn(slot.confirmedFlushLsn)}, past the state's LSN ${formatLsn(at)} for ${id} (advanced or consumed by someone else)`,
      });
    }
  }
  return out;
}

/**
 * Every stream the run cannot resume: the slot's rule (`lostStreams`) and the timeline's (a
 * bookmark past where this server's timeline branched off, timeline-rule.ts), each stream once.
 */
export async function lostStreamsNow(
  client: Queryable,
  config: TapConfig,
  slot: SlotInfo | null,
  tables: readonly LogBasedTable[],
  state: TapState,
): Promise<LostStream[]> {
  const lost = [
    ...(await divergedStreams(
      client,
      config,
      tables.map((t) => t.tapStreamId),
      state,
    )),
    ...lostStreams(config, slot, tables, state),
  ];
  return lost.filter((l, i) => lost.findIndex((o) => o.id === l.id) === i);
}

/** The slot-loss rule as findings: a problem, or with resnapshot_on_slot_loss a warning. */
export function slotLossFindings(config: TapConfig, lost: readonly LostStream[]): Finding[] {
  return lost.map(({ id, why }) =>
    config.resnapshotOnSlotLoss
      ? {
          status: 'warning',
          what: `${why}: the run copies ${id} again under a new version (resnapshot_on_slot_loss)`,
        }
      : {
          status: 'problem',
          what: `${why}: changes since then are lost to the slot`,
          then: "set 'resnapshot_on_slot_loss': true, or remove the stream's bookmark from the state, to copy the table again",
        },
  );
}

/**
 * A state LSN ahead of the server's WAL belongs to another server (a state copied between
 * environments): refused before the slot is touched, as bad input.
 */
export async function stateFindings(
  client: Queryable,
  tables: readonly LogBasedTable[],
  state: TapState,
): Promise<Finding[]> {
  const withLsn = tables.flatMap((t) => {
    const lsn = stateLsn(state, t.tapStreamId);
    return lsn ? [{ id: t.tapStreamId, lsn }] : [];
  });
  if (withLsn.length === 0) return [];
  const server = await currentWalLsn(client);
  return withLsn.map(({ id, lsn }) => {
    const ahead = lsnAheadOfServer(id, lsn, server);
    return ahead
      ? { status: 'problem', what: ahead, input: true }
      : ok(`the state's LSN for ${id} (${formatLsn(lsn)}) is one this server has written`);
  });
}

/**
 * The sync's gate, run before any stream of the run emits (FULL_TABLE and INCREMENTAL streams run
 * first, so a LOG_BASED failure found later would follow their records) and again when LOG_BASED
 * starts. The same rules as `--check`. With `resnapshot_on_slot_loss` the lost streams' bookmarks
 * are cleared here, so the run copies them again under a new version (ACTIVATE_VERSION drops what
 * the lost changes would have removed); with `create_publication` a missing publication is
 * created here (the statement `--check` shows).
 */
export async function assertLogBasedReady(
  ctx: {
    client: Queryable;
    config: TapConfig;
    /** Where the warnings go; the gate runs more than once per run, so it should say each once. */
    checkLog: Logger;
    state: TapState;
    setBookmark(id: string, b: Bookmark): void;
  },
  scs: readonly { readonly stream: LogBasedStreamTable }[],
): Promise<void> {
  if (scs.length === 0) return;
  const { client, config } = ctx;
  const tables = scs.map((sc) => sc.stream);
  // First: an UNLOGGED table or an unkeyable delete is the catalog's problem, whatever the server.
  assertNoProblem(await logBasedTableFindings(client, tables), ctx.checkLog);
  const slot = await slotInfo(client, config.replicationSlot);
  const findings = await replicationFindings(client, config, slot);
  // --check asks through a probe slot (src/check/plugin-probe.ts); a sync asks the cheaper LOAD.
  if (!slot && config.logicalDecodingPlugin === 'wal2json') {
    findings.push(await wal2jsonFinding(client));
  }
  const lost = await lostStreamsNow(client, config, slot, tables, ctx.state);
  findings.push(...slotLossFindings(config, lost));
  // A stream copied again starts from nothing: its old LSN is no longer checked.
  const resumed = tables.filter((t) => !lost.some((l) => l.id === t.tapStreamId));
  findings.push(...(await stateFindings(client, resumed, ctx.state)));
  assertNoProblem(findings, ctx.checkLog);
  for (const { id } of lost) {
    ctx.setBookmark(id, { last_replication_method: 'LOG_BASED' });
  }
  const publication = await inspectPublication(client, config, tables);
  assertNoProblem(publication.findings, ctx.checkLog);
  if (publication.create) await client.query(publication.create);
  assertNoProblem(await replicaIdentityFindings(client, tables), ctx.checkLog);
}
