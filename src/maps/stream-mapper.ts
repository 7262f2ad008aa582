import { InputError, RuntimeError } from '../errors';
import type { Logger } from '../log/logger';
import type {
  RecordCounter,
  RecordMapper,
  SingerWriter,
  StreamOutput,
  StreamStart,
} from '../singer/writer';
import type { StreamColumns } from '../sync/stream-columns';
import type { SelectedStream } from '../catalog/stream-selection';
import { columnsNeeded, narrowSelected } from './column-needs';
import { MappedStreamOutput, type StreamOffload } from './mapped-stream-output';
import { outputOf, type Output } from './record-mapping';
import { MapWorker } from './worker/map-worker-client';
import type { MapWorkerUse } from './worker/map-worker-choice';
import type { MappedStreamSetup } from './worker/protocol';
import type { RecordStep, RecordStepFactory } from './record-step';
import type { StreamMap } from './stream-map';
import type { Schema } from './schema-types';
import type { FlatteningOptions } from './flattening';
import { planStream, type StreamMapsConfig, type StreamPlan } from './stream-maps-config';

/** Where copies' records are mapped other than on the main thread (src/maps/worker/). */
export interface MapOffloadSettings {
  /** The flattening the extra steps do, for the threads to do the same (null: none). */
  readonly flattening: FlatteningOptions | null;
  /** When copies use the map worker (null: never). */
  readonly worker: MapWorkerUse | null;
  /** Whether a parallel copy's range workers apply the maps to their own lines. */
  readonly rangeWorkers: boolean;
}

/**
 * The run's stream maps, as the Meltano SDK applies them: each stream's SCHEMA, ACTIVATE_VERSION
 * and RECORDs go to the output streams its maps make (SingerWriter asks at each SCHEMA). STATE is
 * not touched: bookmarks stay keyed by the tap's stream ids.
 */
export class StreamMapper implements RecordMapper {
  /** Output names of the mapped streams begun so far (ACTIVATE_VERSION). */
  private readonly names = new Map<string, readonly string[]>();
  private worker: MapWorker | undefined;

  constructor(
    private readonly config: StreamMapsConfig,
    /** Stages appended to every output's map (flattening); they make every stream mapped. */
    private readonly extraSteps: readonly RecordStepFactory[] = [],
    /** Whether the run sends ACTIVATE_VERSION (emit_activate_version). */
    private readonly activateVersion = false,
    /** How copies may use the map worker; none: every record is mapped on the main thread. */
    private readonly offload?: MapOffloadSettings,
  ) {}

  /** Records copies sent to the map worker so far. */
  get offloadedRecords(): number {
    return this.worker?.records ?? 0;
  }

  /** Stops the map worker, if one was started (the run's end). */
  async close(): Promise<void> {
    await this.worker?.stop();
    this.worker = undefined;
  }

  plan(streamName: string, schema: Schema, keyProperties: readonly string[]): StreamPlan {
    const plan = planStream(this.config, { streamName, schema, keyProperties });
    return plan.unmapped && this.extraSteps.length > 0 ? { ...plan, unmapped: false } : plan;
  }

  /** The stages appended to `map`'s own. */
  private stepsFor(map: StreamMap): RecordStep[] {
    return this.extraSteps.map((make) => make(map)).filter((s): s is RecordStep => s !== null);
  }

  /**
   * Before anything is emitted or read: every map of every stream is compiled against the
   * stream's SCHEMA as the catalog gives it (`schemaOf`), so a bad map is an input error, and each
   * stream reads only the columns its outputs need, plus its key properties and replication key.
   */
  narrow(
    streams: readonly SelectedStream[],
    schemaOf: (s: SelectedStream) => Schema,
    log: Logger,
  ): SelectedStream[] {
    const sourceOf = new Map<string, string>();
    return streams.map((s) => {
      const plan = this.plan(s.stream, schemaOf(s), s.keyProperties);
      // Each stream's ACTIVATE_VERSION tells a target to drop the rows of other versions: two
      // sources sent as one stream would each delete what the other loaded.
      for (const alias of plan.unmapped ? [s.stream] : plan.outputs.map((o) => o.alias)) {
        const other = sourceOf.get(alias);
        if (this.activateVersion && other !== undefined && other !== s.stream) {
          throw new InputError(
            `stream_maps: streams '${other}' and '${s.stream}' are both sent as '${alias}', and each one's ACTIVATE_VERSION would remove the other's records downstream; give them different names or set emit_activate_version to false`,
          );
        }
        sourceOf.set(alias, s.stream);
      }
      if (plan.unmapped) return s;
      const names = plan.outputs.map((o) => `'${o.alias}'`);
      log.info(
        `${s.tapStreamId}: stream maps send stream '${s.stream}' as ${names.length === 0 ? 'nothing (removed)' : names.join(', ')}`,
      );
      const need = columnsNeeded(plan, s.columns);
      if (!need) return s;
      for (const c of [...s.keyProperties, ...(s.replicationKey ? [s.replicationKey] : [])]) {
        need.add(c);
      }
      // A query reads at least one column, even for a stream no output keeps anything of.
      if (![...need].some((c) => s.columns.includes(c)) && s.columns.length > 0) {
        need.add(s.columns[0]!);
      }
      const skipped = s.columns.filter((c) => !need.has(c));
      if (skipped.length === 0) return s;
      log.info(
        `${s.tapStreamId}: not read, as no stream map output needs them: ${skipped.map((c) => `'${c}'`).join(', ')}`,
      );
      return narrowSelected(s, need);
    });
  }

  /**
   * The selected columns a narrowed stream left out that its table's primary key needs (a FULL_TABLE
   * copy resumes by it), when the primary key is not the catalog's key properties.
   */
  missingPrimaryKey(sc: StreamColumns, original: SelectedStream): string[] {
    return sc.primaryKey.filter(
      (c) => original.columns.includes(c) && !sc.stream.columns.includes(c),
    );
  }

  /** After the live types are known: the SCHEMA each stream will send still takes its maps. */
  check(resolved: readonly StreamColumns[], schemaOf: (sc: StreamColumns) => Schema): void {
    for (const sc of resolved) this.plan(sc.stream.stream, schemaOf(sc), sc.stream.keyProperties);
  }

  begin(writer: SingerWriter, start: StreamStart, count: RecordCounter): StreamOutput | null {
    let plan: StreamPlan;
    try {
      plan = this.plan(start.stream, start.schema, start.keyProperties);
    } catch (e) {
      // Checked before the run started (prepare): only a table that changed mid-run gets here.
      if (e instanceof InputError)
        throw new RuntimeError(`${e.message} (the table changed during the run)`);
      throw e;
    }
    if (plan.unmapped) {
      this.names.delete(start.stream);
      return null;
    }
    this.names.set(
      start.stream,
      plan.outputs.map((o) => o.alias),
    );
    const stages = plan.outputs.map((o) => this.stepsFor(o));
    plan.outputs.forEach((o, i) => {
      writer.message({
        type: 'SCHEMA',
        stream: o.alias,
        schema: stages[i]!.reduce((schema, step) => step.schema(schema), o.schema),
        key_properties: o.keyProperties,
        bookmark_properties: start.bookmarkProperties,
      });
    });
    const mapConfig = this.config.mapConfig;
    // Per handle (a new version makes another), as each stage keeps its record between calls.
    const outputs = () => plan.outputs.map((o) => outputOf(o, mapConfig, this.stepsFor(o)));
    return new MappedStreamOutput(
      writer,
      start.stream,
      start.version,
      count,
      outputs,
      undefined,
      this.streamOffload(start),
    );
  }

  /** The outputs of a stream, as `begin` makes them (the map worker's side). */
  outputsFor(stream: string, schema: Schema, keyProperties: readonly string[]): Output[] {
    const plan = this.plan(stream, schema, keyProperties);
    if (plan.unmapped) throw new Error(`stream '${stream}' has no map`);
    return plan.outputs.map((o) => outputOf(o, this.config.mapConfig, this.stepsFor(o)));
  }

  private streamOffload(start: StreamStart): StreamOffload | undefined {
    const o = this.offload;
    if (!o || (o.worker === null && !o.rangeWorkers)) return undefined;
    const setup: MappedStreamSetup = {
      streamMaps: this.config.source.streamMaps,
      streamMapConfig: this.config.source.streamMapConfig,
      flattening: o.flattening,
      stream: start.stream,
      schema: start.schema,
      keyProperties: start.keyProperties,
    };
    return {
      worker: () => (this.worker ??= new MapWorker()),
      setup,
      use: o.worker,
      rangeWorkers: o.rangeWorkers,
    };
  }

  outputNames(stream: string): readonly string[] | null {
    return this.names.get(stream) ?? null;
  }
}
