import type { BatchConfig } from '../batch/batch-config';
import type { FlatteningOptions } from '../maps/flattening';
import type { StreamMapsConfig } from '../maps/stream-maps-config';
import type { ValuePolicy } from '../values';
import type { HostPort, TargetSessionAttrs } from './hosts';

export const REPLICATION_METHODS = ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'] as const;
export type ReplicationMethod = (typeof REPLICATION_METHODS)[number];

export const DECODING_PLUGINS = ['pgoutput', 'wal2json'] as const;
export type DecodingPlugin = (typeof DECODING_PLUGINS)[number];

export const ACK_MODES = ['next_run', 'on_emit'] as const;
export type AckMode = (typeof ACK_MODES)[number];

export const TRUNCATE_HANDLINGS = ['version', 'warn', 'error'] as const;
export type TruncateHandling = (typeof TRUNCATE_HANDLINGS)[number];

export interface SslOptions {
  /**
   * require: encrypt, trust any certificate; verify-ca: check the chain; verify-full: and the host.
   * prefer (TLS, else plain) and allow (plain, else TLS) are settled by the run's first connection
   * (src/db/tls-fallback.ts), which gives every later one require or no TLS.
   */
  readonly mode: 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  /** PEM text (files already read). */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** `ssh_tunnel`: every connection of the run goes through this SSH server (src/db/ssh-tunnel.ts). */
export interface SshTunnelOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** The private key's text (a path is already read), checked to parse with the passphrase. */
  readonly privateKey: string;
  readonly passphrase: string | undefined;
  /** `SHA256:…` as ssh-keygen -l prints it; unset accepts any host key. */
  readonly hostKeyFingerprint: string | undefined;
}

/**
 * The one normalised, frozen config the rest of the tap reads. Aliases (Mage, singer-io,
 * pipelinewise, Meltano) are resolved in `normalize-config.ts` and nowhere else.
 */
export interface TapConfig {
  /**
   * The server this run talks to. Before the run's first connection (src/db/first-connection.ts)
   * the first of `hosts`; after it, the one that connection settled on, for every other connection.
   */
  readonly host: string;
  readonly port: number;
  /** Every server of the `host` list, in order (one entry for a single host). */
  readonly hosts: readonly HostPort[];
  /** Which server of `hosts` the run settles on (libpq's target_session_attrs). */
  readonly targetSessionAttrs: TargetSessionAttrs;
  readonly database: string;
  readonly username: string;
  readonly password: string | undefined;
  /** Schemas to discover; null means every non-system schema. */
  readonly schemas: readonly string[] | null;
  readonly ssl: SslOptions | null;
  readonly sshTunnel: SshTunnelOptions | null;
  /**
   * Set while an SSH tunnel runs: `host` and `port` then name the tunnel's local end, and this
   * is the server as the config names it: the name TLS verifies and messages show.
   */
  readonly remote?: HostPort;
  readonly batchFetchLimit: number;
  /** FULL_TABLE: connections that copy one large table in CTID block ranges (1 = one connection). */
  readonly snapshotParallelism: number;
  readonly defaultReplicationMethod: ReplicationMethod | null;
  readonly replicationSlot: string;
  readonly publicationName: string;
  readonly logicalDecodingPlugin: DecodingPlugin;
  readonly breakAtEndLsn: boolean;
  readonly logicalPollTotalSeconds: number;
  readonly maxRunSeconds: number;
  readonly emitActivateVersion: boolean;
  readonly ackMode: AckMode;
  readonly createPublication: boolean;
  /** Seconds between METRIC record_count lines and plain progress lines on stderr. */
  readonly metricsLogIntervalSeconds: number;
  /** Least seconds between two STATEs at resumable points; 0 = a STATE at every point. */
  readonly stateIntervalSeconds: number;
  /** Reconnect attempts after a connection-level failure (src/sync/retry.ts); 0 fails at once. */
  readonly connectionRetries: number;
  /** The first retry's wait; each further retry waits twice as long. */
  readonly retryBackoffSeconds: number;
  /** LOG_BASED: create the slot with FAILOVER (PostgreSQL 17+), so standbys keep a synced copy. */
  readonly failoverSlot: boolean;
  /** LOG_BASED: copy the tables again (new version) when the slot is gone or moved past the state. */
  readonly resnapshotOnSlotLoss: boolean;
  /** LOG_BASED: what a TRUNCATE of a selected table does (new table version, warning, error). */
  readonly truncateHandling: TruncateHandling;
  /** LOG_BASED: seconds between `pg_logical_emit_message` heartbeats; 0 = none. */
  readonly heartbeatIntervalSeconds: number;
  /** LOG_BASED: warn at start when the slot retains more WAL than this (MB). */
  readonly walRetainedWarnMb: number;
  /** LOG_BASED: a transaction's changes beyond this many MB go to a temporary file. */
  readonly transactionSpillThresholdMb: number;
  /** Schema flattening (src/maps/flattening.ts); null when off. */
  readonly flattening: FlatteningOptions | null;
  /** FULL_TABLE and LOG_BASED copies write batch files and BATCH messages (docs/batch.md). */
  readonly batch: BatchConfig | null;
  /** `stream_maps` / `stream_map_config` (src/maps/), or null when there are none. */
  readonly streamMaps: StreamMapsConfig | null;
  /** How values JSON / RFC 3339 cannot carry are rendered (src/values/value-policy.ts). */
  readonly valuePolicy: ValuePolicy;
}
