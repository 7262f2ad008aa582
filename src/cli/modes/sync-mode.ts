import { prepareBatchDirectory } from '../../batch/batch-config';
import { loadConfig } from '../../config/load-config';
import { connect } from '../../db/connect';
import { connectFirst } from '../../db/first-connection';
import { withSshTunnel } from '../../db/ssh-tunnel';
import type { TapConfig } from '../../config/tap-config';
import type { Logger } from '../../log/logger';
import type { LiveArea } from '../../progress/live-area';
import { estimateRows } from '../../progress/row-estimates';
import { SyncProgress } from '../../progress/sync-progress';
import { availableParallelism } from 'node:os';
import { slotWaitTiming } from '../../replication/slot-creation-wait';
import { assertStateFileWritable, stateFileWriter } from '../../singer/state-file';
import { flatteningStep } from '../../maps/flatten-step';
import { StreamMapper } from '../../maps/stream-mapper';
import { mapWorkerUse } from '../../maps/worker/map-worker-choice';
import { parseStreamMapsConfig } from '../../maps/stream-maps-config';
import { SingerWriter } from '../../singer/writer';
import { logDiscardedBookmarks } from '../../state/bookmark-discard';
import { withLegacyBookmarks } from '../../state/legacy-bookmarks';
import { loadState, serializeState } from '../../state/tap-state';
import { loadSelectedStreams, runSyncStreams } from '../../sync/run-sync';
import type { CliIo } from '../cli-io';
import type { CliArgs } from '../parse-args';

export async function runSync(
  args: Extract<CliArgs, { mode: 'sync' }>,
  io: CliIo,
  log: Logger,
  live?: LiveArea,
): Promise<number> {
  // Config, catalog, state and --state-out are all checked before the first byte goes to stdout.
  const loaded = loadConfig(args.config, io.env, log).config;
  const streams = loadSelectedStreams(args.catalog, loaded);
  const state = withLegacyBookmarks(loadState(args.state), streams, log);
  logDiscardedBookmarks(state, streams, log);
  if (args.stateOut !== undefined) assertStateFileWritable(args.stateOut);
  if (loaded.batch) prepareBatchDirectory(loaded.batch);
  if (streams.length === 0)
    log.warn(`catalog file ${args.catalog}: no stream is selected; nothing to sync`);
  return withSshTunnel(loaded, log, (through) =>
    syncWith(through, args, io, log, streams, state, live),
  );
}

async function syncWith(
  loaded: TapConfig,
  args: Extract<CliArgs, { mode: 'sync' }>,
  io: CliIo,
  log: Logger,
  streams: ReturnType<typeof loadSelectedStreams>,
  state: ReturnType<typeof withLegacyBookmarks>,
  live: LiveArea | undefined,
): Promise<number> {
  const first = await connectFirst(loaded, log);
  // Every further connection (reconnects, COPY workers, replication) goes the way the first went.
  const config = first.config;
  let client = first.client;
  const reconnect = async () => {
    await client.end().catch(() => {});
    client = await connect(config);
    return client;
  };
  try {
    // Flattening is a stage of every stream's output, with or without stream maps.
    const maps =
      config.streamMaps || config.flattening
        ? new StreamMapper(
            config.streamMaps ?? parseStreamMapsConfig({}, undefined)!,
            config.flattening ? [flatteningStep(config.flattening)] : [],
            config.emitActivateVersion,
            {
              flattening: config.flattening,
              worker: mapWorkerUse(io.env, config.hosts, availableParallelism()),
              rangeWorkers: io.env.TAP_POSTGRES_MAP_WORKER !== 'off',
            },
          )
        : undefined;
    const writer = new SingerWriter(io.stdout, serializeState, {
      ...(args.stateOut === undefined ? {} : { onStateWritten: stateFileWriter(args.stateOut) }),
      ...(config.batch ? { batch: config.batch } : {}),
      ...(maps ? { mapper: maps } : {}),
    });
    const progress = new SyncProgress({
      writer,
      log,
      intervalMs: config.metricsLogIntervalSeconds * 1000,
      estimates: await estimateRows(client, streams),
      ...(live ? { live } : {}),
    });
    try {
      await runSyncStreams({
        client,
        reconnect,
        writer,
        config,
        log,
        streams,
        state,
        testMode: args.test,
        ...(maps ? { maps } : {}),
        observer: progress,
        ...(io.stop ? { stop: io.stop } : {}),
        slotWait: slotWaitTiming(io.env),
      });
    } finally {
      progress.close();
      if (maps?.offloadedRecords)
        log.info(`stream maps: ${maps.offloadedRecords} records mapped on the map worker thread`);
      await maps?.close();
    }
    return 0;
  } finally {
    await client.end().catch(() => {});
  }
}
