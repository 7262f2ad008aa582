import type { ValuePolicy } from '../values';
import type { ClientBase } from 'pg';
import type { TestMode } from '../cli/parse-args';
import {
  selectedStreams,
  type InputStream,
  type SelectedStream,
} from '../catalog/stream-selection';
import type { ReplicationMethod, TapConfig } from '../config/tap-config';
import { StopRequested, type StopRequest } from '../cli/signals';
import { asRuntimeError } from '../db/database-errors';
import { qualifiedName } from '../db/quote';
import { readOnlySession } from '../db/read-only';
import { InputError } from '../errors';
import { readJsonFile } from '../io/read-json-file';
import type { Logger } from '../log/logger';
import { assertValid } from '../schemas/schema-validator';
import type { SingerWriter } from '../singer/writer';
import type { SlotWaitTiming } from '../replication/slot-creation-wait';
import { assertBookmarksUsable } from '../state/bookmark-check';
import { bookmarkFor, type TapState } from '../state/tap-state';
import { syncFullTable } from './full-table';
import { measureForParallelCopy } from './full-table-parallel';
import { syncIncremental } from './incremental';
import { syncLogBased } from './log-based/log-based';
import { logBasedSchema } from './log-based/stream-shape';
import type { StreamMapper } from '../maps/stream-mapper';
import { narrowSelected } from '../maps/column-needs';
import { assertLogBasedReady } from './log-based/readiness';
import { withRetries } from './retry';
import { resolveStreamColumns, type StreamColumns } from './stream-columns';
import { SyncContext, type SyncMethod } from './sync-context';
import type { SyncObserver } from './sync-observer';

/** The only place that chooses by replication method. */
const METHODS: Readonly<Record<Exclude<ReplicationMethod, 'LOG_BASED'>, SyncMethod>> = {
  FULL_TABLE: syncFullTable,
  INCREMENTAL: syncIncremental,
};

/** Reads and checks the catalog file; every problem is found before anything is emitted. */
export function loadSelectedStreams(path: string, config: TapConfig): SelectedStream[] {
  const doc = readJsonFile(path, 'catalog');
  assertValid('catalog', doc, `catalog file ${path}`);
  const streams = selectedStreams(
    doc as { streams: InputStream[] },
    config,
    `catalog file ${path}`,
  );
  for (const s of streams) {
    if (s.method === 'LOG_BASED' && s.isView) {
      throw new InputError(
        `catalog file ${path}: stream ${s.tapStreamId} is a view; views have no changes to replicate, use FULL_TABLE or INCREMENTAL`,
      );
    }
  }
  return streams;
}

/** An interrupted run resumes with the stream it was syncing. */
export function syncOrder(streams: readonly SelectedStream[], state: TapState): SelectedStream[] {
  const current = streams.find((s) => s.tapStreamId === state.currently_syncing);
  return current ? [current, ...streams.filter((s) => s !== current)] : [...streams];
}

export interface SyncRun {
  readonly client: ClientBase;
  /** Ends the current query connection and opens a new one (after a lost connection). */
  readonly reconnect: () => Promise<ClientBase>;
  readonly writer: SingerWriter;
  readonly config: TapConfig;
  readonly log: Logger;
  readonly streams: readonly SelectedStream[];
  readonly state: TapState;
  readonly testMode: TestMode | undefined;
  readonly observer?: SyncObserver;
  readonly stop?: StopRequest;
  readonly slotWait?: SlotWaitTiming;
  /** The stream maps the writer applies; checked, and each stream's columns narrowed, up front. */
  readonly maps?: StreamMapper;
}

/** Tells the observer when `streams` start and how they ended. */
async function observed<T>(
  observer: SyncObserver | undefined,
  streams: readonly SelectedStream[],
  work: () => Promise<T>,
): Promise<T> {
  for (const s of streams) observer?.streamStarted(s);
  try {
    const result = await work();
    for (const s of streams) observer?.streamFinished(s, 'succeeded');
    return result;
  } catch (e) {
    for (const s of streams) observer?.streamFinished(s, 'failed');
    throw e;
  }
}

export async function runSyncStreams(run: SyncRun): Promise<void> {
  const ctx = new SyncContext(
    run.client,
    run.writer,
    run.config,
    run.log,
    run.config.valuePolicy,
    run.testMode,
    run.state,
    run.stop,
    run.slotWait,
  );
  const policy = {
    retries: run.config.connectionRetries,
    backoffSeconds: run.config.retryBackoffSeconds,
  };
  /** Set once the set-up (which may create the publication) is done; a new connection inherits it. */
  let readOnly = false;
  // Each attempt reads its bookmark from ctx.state, so a retry resumes where the lost one stopped.
  const retrying = <T>(what: string, attempt: () => Promise<T>) =>
    withRetries(
      what,
      policy,
      run.log,
      () => {
        ctx.throwIfInterrupted();
        return attempt();
      },
      async () => {
        const fresh = await run.reconnect();
        ctx.replaceClient(readOnly ? await readOnlySession(fresh) : fresh);
      },
    ).catch((e: unknown) => {
      throw e instanceof StopRequested ? e : asRuntimeError(e, what);
    });
  let stopped: StopRequested | undefined;
  try {
    const ordered = syncOrder(run.streams, run.state);
    const maps = run.maps;
    // Columns no stream map output needs are left out before the live tables are even looked at.
    const selected = maps
      ? maps.narrow(
          ordered,
          (s) => (s.method === 'LOG_BASED' ? logBasedSchema(s.schema) : s.schema),
          run.log,
        )
      : ordered;
    let resolved = await retrying('reading the catalog of the selected tables failed', () =>
      resolveStreamColumns(ctx.client, selected, ctx.policy),
    );
    if (maps) {
      resolved = await retrying('reading the catalog of the selected tables failed', () =>
        withPrimaryKeys(ctx.client, ctx.policy, maps, resolved, ordered),
      );
      // The SCHEMA each stream will send is known now: a map that does not fit it fails here.
      maps.check(resolved, (sc) =>
        sc.stream.method === 'LOG_BASED' ? logBasedSchema(sc.stream.schema) : sc.stream.schema,
      );
    }
    // Everything a stream will need is checked before the first stream emits anything.
    await retrying("checking the state's bookmarks failed", () =>
      assertBookmarksUsable(ctx.client, resolved, ctx.state),
    );
    await retrying('LOG_BASED replication cannot start', () =>
      assertLogBasedReady(
        ctx,
        resolved.filter((r) => r.stream.method === 'LOG_BASED'),
      ),
    );
    await retrying('measuring the selected tables failed', () =>
      measureForParallelCopy(
        ctx,
        resolved.filter((r) => !r.unpopulated),
      ),
    );
    // From here on every statement of this connection runs in a READ ONLY transaction.
    await retrying('starting a read-only session failed', () => readOnlySession(ctx.client));
    readOnly = true;
    for (const sc of resolved.filter((r) => r.stream.method !== 'LOG_BASED')) {
      const s = sc.stream;
      if (sc.unpopulated) {
        // Nothing is sent, not even ACTIVATE_VERSION: the view is not empty, it is unreadable,
        // and a version-aware target would otherwise drop what an earlier run loaded.
        run.log.warn(
          `${s.tapStreamId}: materialized view ${qualifiedName(s.schemaName, s.tableName)} has not been populated (created or refreshed WITH NO DATA); skipped, its bookmark unchanged. Run REFRESH MATERIALIZED VIEW ${qualifiedName(s.schemaName, s.tableName)} to sync it`,
        );
        continue;
      }
      logRetyped(run.log, sc);
      const started = Date.now();
      ctx.setCurrentlySyncing(s.tapStreamId);
      const count = await observed(run.observer, [s], () =>
        retrying(`syncing ${s.tapStreamId} failed`, () =>
          METHODS[s.method as keyof typeof METHODS](
            ctx,
            sc,
            bookmarkFor(ctx.state, s.tapStreamId, s.method, s.replicationKey),
          ),
        ),
      );
      run.log.info(
        `${s.tapStreamId}: ${count} records (${s.method}) in ${Date.now() - started} ms`,
      );
    }
    // LOG_BASED streams share one replication connection, so they run together, last.
    const logBased = resolved.filter((r) => r.stream.method === 'LOG_BASED');
    for (const sc of logBased) logRetyped(run.log, sc);
    if (logBased.length > 0) {
      const started = Date.now();
      ctx.setCurrentlySyncing(null);
      const streams = logBased.map((r) => r.stream);
      const count = await observed(run.observer, streams, () =>
        retrying('LOG_BASED replication failed', () => syncLogBased(ctx, logBased)),
      );
      run.log.info(
        `LOG_BASED: ${count} records from ${logBased.length} streams in ${Date.now() - started} ms`,
      );
    }
  } catch (e) {
    if (!(e instanceof StopRequested)) {
      // What is buffered is consistent (each STATE follows the records it covers): hand it over,
      // with the STATE the interval held back, so the next run resumes from there.
      ctx.emitHeldState();
      await run.writer.finish().catch(() => {});
      throw e;
    }
    stopped = e;
  }
  // The run's final STATE, whatever the interval. A stopped run keeps currently_syncing, so the
  // next run resumes that stream first.
  if (!stopped) ctx.setCurrentlySyncing(null);
  ctx.emitStateNow();
  await run.writer.finish();
  if (stopped) {
    run.log.info(`${stopped.message}: the final STATE above resumes the run`);
  }
}

/**
 * A stream whose maps left out a column of its table's primary key (one that is not among the
 * catalog's key properties) is resolved again with it: a FULL_TABLE copy reads and resumes in
 * primary-key order.
 */
async function withPrimaryKeys(
  client: ClientBase,
  policy: ValuePolicy,
  maps: StreamMapper,
  resolved: readonly StreamColumns[],
  original: readonly SelectedStream[],
): Promise<StreamColumns[]> {
  const out: StreamColumns[] = [];
  for (const [i, sc] of resolved.entries()) {
    const missing = maps.missingPrimaryKey(sc, original[i]!);
    if (missing.length === 0) {
      out.push(sc);
      continue;
    }
    const keep = new Set([...sc.stream.columns, ...missing]);
    const again = narrowSelected(original[i]!, keep);
    out.push((await resolveStreamColumns(client, [again], policy))[0]!);
  }
  return out;
}

function logRetyped(log: Logger, sc: StreamColumns): void {
  for (const r of sc.retyped) {
    if (r.discovered === r.live) {
      // A composite whose attributes (or composite_as_object) differ from the catalog's.
      log.info(
        `${sc.stream.tapStreamId}: column '${r.column}' (${r.live}): its SCHEMA property follows the type's attributes now and composite_as_object; run --discover to update the catalog`,
      );
      continue;
    }
    log.info(
      `${sc.stream.tapStreamId}: column '${r.column}' is ${r.live}${r.discovered ? ` (discovered as ${r.discovered})` : ''}: its SCHEMA property follows the live type; run --discover to update the catalog`,
    );
  }
}
