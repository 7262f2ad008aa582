import type { StreamOutput } from '../../singer/writer';
import type { StreamColumns } from '../stream-columns';
import { jsonKind } from './stream-shape';
import type { SyncContext } from '../sync-context';
import type { LogOffset } from './offset';
import { identityBookmark, type StreamFacts, type TableIdentity } from './table-identity';

/** One LOG_BASED stream of the run: its columns and where its records go. */
export interface LogStream {
  readonly sc: StreamColumns;
  /** Replaced when the stream's SCHEMA is sent again or a TRUNCATE starts a new version. */
  out: StreamOutput;
  version: number;
  /** The properties of the SCHEMA the run sent first for the stream. */
  readonly sent: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The table's OID and partitions when the run started (recorded in the bookmark). */
  identity: TableIdentity | undefined;
  /** What the bookmark records of the stream besides its table (table-identity.ts). */
  readonly facts: StreamFacts;
  /** Why the stream must be copied again before the run ends (null: it need not). */
  recopy: string | null;
}

export const streamId = (s: LogStream): string => s.sc.stream.tapStreamId;

/** Replaces the stream's bookmark (no STATE yet: several streams may share one). */
export function saveBookmark(ctx: SyncContext, offset: LogOffset, s: LogStream): void {
  ctx.setBookmark(streamId(s), {
    last_replication_method: 'LOG_BASED',
    version: s.version,
    ...offset.bookmark(streamId(s)),
    xmin: null,
    ...identityBookmark(s.identity, s.facts),
  });
}

/** The stream's facts its bookmark records (table-identity.ts), computed once per stream. */
export function streamFacts(sc: StreamColumns): StreamFacts {
  const props = (sc.stream.schema.properties ?? {}) as Record<
    string,
    Readonly<Record<string, unknown>>
  >;
  return {
    deselected: sc.stream.deselected,
    keyProperties: sc.stream.keyProperties,
    kinds: Object.fromEntries(
      sc.stream.columns
        .filter((c) => !sc.absent.includes(c) && props[c])
        .map((c) => [c, jsonKind(props[c]!)]),
    ),
  };
}
