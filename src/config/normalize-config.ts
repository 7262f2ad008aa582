import { availableParallelism } from 'node:os';
import { parseBatchConfig } from '../batch/batch-config';
import { InputError } from '../errors';
import { flatteningOptionsOf } from '../maps/flattening';
import { parseStreamMapsConfig } from '../maps/stream-maps-config';
import { hostList, targetSessionAttrsOf } from './hosts';
import { readPemOrFile } from './pem-or-file';
import { sshTunnelOf } from './ssh-tunnel-config';
import type { TemporalOutOfRangePolicy } from '../values';
import type {
  AckMode,
  DecodingPlugin,
  ReplicationMethod,
  SslOptions,
  TapConfig,
  TruncateHandling,
} from './tap-config';

type Raw = Readonly<Record<string, unknown>>;

/** Alias pairs: the first name is ours (and Mage's), the second the Singer taps'. */
export const ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['database', 'dbname'],
  ['username', 'user'],
  ['batch_fetch_limit', 'itersize'],
  ['replication_slot', 'replication_slot_name'],
  ['max_run_seconds', 'replication_max_run_seconds'],
  ['logical_poll_total_seconds', 'replication_idle_exit_seconds'],
];

/** The Meltano / Singer orchestrators' own keys, which never deserve a warning. */
export const ORCHESTRATOR_KEYS: ReadonlySet<string> = new Set([
  'start_date',
  'tap_id',
  'debug_lsn',
]);

/**
 * Settings of MeltanoLabs tap-postgres without a counterpart here, and why: a config written for
 * it still runs, and the warning says what the setting does not do (docs/meltano.md).
 */
export const WITHOUT_EFFECT: ReadonlyMap<string, string> = new Map([
  ['max_record_count', "the Meltano SDK's testing limit is not applied; every record is sent"],
  ['dates_as_string', 'dates and timestamps are always strings here (RFC 3339, exact)'],
  ['json_as_object', 'json and jsonb values are always sent as JSON values here'],
  ['stream_options', 'custom WHERE clauses are not supported; use stream_maps __filter__ instead'],
]);

function pick(raw: Raw, key: string): unknown {
  for (const [ours, theirs] of ALIASES) {
    if (key === ours) return raw[ours] ?? raw[theirs];
  }
  return raw[key];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown, dflt: number): number =>
  v === undefined || v === null ? dflt : typeof v === 'number' ? v : Number(v);
const bool = (v: unknown, dflt: boolean): boolean =>
  v === undefined || v === null ? dflt : v === true || v === 'true';

export function defaultSlotName(database: string): string {
  return `tap_postgres_${database.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

function schemasOf(raw: Raw): readonly string[] | null {
  const f = raw.filter_schemas;
  const list =
    typeof f === 'string'
      ? f.split(',')
      : Array.isArray(f)
        ? (f as string[])
        : typeof raw.schema === 'string'
          ? [raw.schema]
          : null;
  if (!list) return null;
  const cleaned = list.map((s) => s.trim()).filter((s) => s.length > 0);
  return cleaned.length ? Object.freeze(cleaned) : null;
}

/** Certificates and keys come as PEM text or as a path; read paths now so errors are early. */
function pemOrFile(raw: Raw, key: string): string | undefined {
  return readPemOrFile(str(raw[key]), key);
}

function sslOf(raw: Raw): SslOptions | null {
  const mode = str(raw.sslmode);
  const on = bool(raw.ssl, false);
  if (mode === 'disable' || (!on && mode === undefined)) return null;
  const effective: SslOptions['mode'] =
    mode === 'verify-ca' || mode === 'verify-full' || mode === 'prefer' || mode === 'allow'
      ? mode
      : 'require';
  const ca = pemOrFile(raw, 'ssl_ca');
  if ((effective === 'verify-ca' || effective === 'verify-full') && !ca) {
    throw new InputError(`config key 'sslmode' is ${effective} but 'ssl_ca' is not set`);
  }
  const ssl: SslOptions = {
    mode: effective,
    ...(ca ? { ca } : {}),
    ...(raw.ssl_cert ? { cert: pemOrFile(raw, 'ssl_cert') } : {}),
    ...(raw.ssl_key ? { key: pemOrFile(raw, 'ssl_key') } : {}),
  };
  return Object.freeze(ssl);
}

/**
 * A target reads every STATE, and many write it somewhere durable each time: one per second at
 * most keeps that cost, and the STATE bytes, bounded by time instead of growing with the number
 * of tables and batches, while a killed run still resumes from at most a second before its end.
 */
const DEFAULT_STATE_INTERVAL_SECONDS = 1;

/**
 * Turns a config that passed `schemas/config.schema.json` into the TapConfig every other module
 * reads. Defaults are listed in docs/configuration.md.
 */
export function normalizeConfig(raw: Raw): TapConfig {
  const database = str(pick(raw, 'database'));
  const username = str(pick(raw, 'username'));
  if (!database) throw new InputError(`config: missing required key 'database' (or 'dbname')`);
  if (!username) throw new InputError(`config: missing required key 'username' (or 'user')`);
  const hosts = hostList(raw.host, raw.port);
  const sshTunnel = sshTunnelOf(raw.ssh_tunnel);
  const socketDir = hosts.find((h) => h.host.startsWith('/'));
  if (sshTunnel && socketDir) {
    throw new InputError(
      `config key 'host' is a Unix socket directory (${socketDir.host}), which an SSH tunnel cannot reach: give the database's host name as the bastion sees it`,
    );
  }
  const batch = int(pick(raw, 'batch_fetch_limit'), 50000);
  if (batch < 1) throw new InputError(`config key 'batch_fetch_limit' must be at least 1`);
  const interval = Number(raw.metrics_log_interval ?? 60);
  if (!(interval > 0)) throw new InputError(`config key 'metrics_log_interval' must be above 0`);
  const stateInterval = Number(raw.state_interval_seconds ?? DEFAULT_STATE_INTERVAL_SECONDS);
  if (!(stateInterval >= 0))
    throw new InputError(`config key 'state_interval_seconds' must be at least 0`);
  const parallelism = int(
    raw.snapshot_parallelism,
    defaultSnapshotParallelism(availableParallelism()),
  );
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new InputError(`config key 'snapshot_parallelism' must be an integer of at least 1`);
  }
  const flattening = flatteningOptionsOf(raw);
  const config: TapConfig = {
    host: hosts[0]!.host,
    port: hosts[0]!.port,
    hosts: Object.freeze(hosts.map((h) => Object.freeze(h))),
    targetSessionAttrs: targetSessionAttrsOf(
      raw.target_session_attrs,
      hosts,
      bool(raw.read_only_standby, false),
    ),
    database,
    username,
    password: str(raw.password),
    schemas: schemasOf(raw),
    ssl: sslOf(raw),
    sshTunnel,
    batchFetchLimit: batch,
    snapshotParallelism: parallelism,
    defaultReplicationMethod: (str(raw.default_replication_method) as ReplicationMethod) ?? null,
    replicationSlot: str(pick(raw, 'replication_slot')) ?? defaultSlotName(database),
    publicationName: str(raw.publication_name) ?? 'tap_postgres',
    logicalDecodingPlugin: (str(raw.logical_decoding_plugin) as DecodingPlugin) ?? 'pgoutput',
    breakAtEndLsn: bool(raw.break_at_end_lsn, true),
    logicalPollTotalSeconds: int(pick(raw, 'logical_poll_total_seconds'), 60),
    maxRunSeconds: int(pick(raw, 'max_run_seconds'), 43200),
    emitActivateVersion: bool(raw.emit_activate_version, true),
    ackMode: (str(raw.ack_mode) as AckMode) ?? 'next_run',
    createPublication: bool(raw.create_publication, false),
    metricsLogIntervalSeconds: interval,
    stateIntervalSeconds: stateInterval,
    connectionRetries: int(raw.connection_retries, 3),
    retryBackoffSeconds: Number(raw.retry_backoff_seconds ?? 1),
    failoverSlot: bool(raw.failover_slot, true),
    resnapshotOnSlotLoss: bool(raw.resnapshot_on_slot_loss, false),
    truncateHandling: (str(raw.truncate_handling) as TruncateHandling) ?? 'version',
    heartbeatIntervalSeconds: int(raw.heartbeat_interval_seconds, 0),
    walRetainedWarnMb: int(raw.wal_retained_warn_mb, 1024),
    transactionSpillThresholdMb: int(raw.transaction_spill_threshold_mb, 32),
    flattening,
    batch: parseBatchConfig(raw.batch_config),
    streamMaps: parseStreamMapsConfig(raw.stream_maps, raw.stream_map_config),
    valuePolicy: Object.freeze({
      temporalOutOfRange: (str(raw.temporal_out_of_range) as TemporalOutOfRangePolicy) ?? 'null',
      // Flattening expands only objects whose schema declares properties: a composite must be one.
      compositeAsObject: bool(raw.composite_as_object, false) || flattening !== null,
    }),
  };
  return Object.freeze(config);
}

/**
 * Each range costs a connection and a thread of about 45 MB. On two cores or fewer one connection
 * is as fast (measured: the server and the output writer already fill the cores) and two ranges
 * would take a slow consumer's peak RSS past 150 MB; above that, one core stays with the thread
 * that writes the output, and more than 4 would trade a user's memory and connection slots for
 * speed they did not ask for.
 */
export function defaultSnapshotParallelism(cores: number): number {
  return cores <= 2 ? 1 : Math.min(4, cores - 1);
}
