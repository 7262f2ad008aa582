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
import { columnsNeeded, narrowStreamColumns } from './column-needs';
import { MappedStreamOutput } from './mapped-stream-output';
import type { Schema } from './schema-types';
import { planStream, type StreamMapsConfig, type StreamPlan } from './stream-maps-config';

/**
 * The run's stream maps, as the Meltano SDK applies them: each stream's SCHEMA, ACTIVATE_VERSION
 * and RECORDs go to the output streams its maps make (SingerWriter asks at each SCHEMA). STATE is
 * not touched: bookmarks stay keyed by the tap's stream ids.
 */
export class StreamMapper implements RecordMapper {
  /** Output names of the mapped streams begun so far (ACTIVATE_VERSION). */
  private readonly names = new Map<string, readonly string[]>();

  constructor(private readonly config: StreamMapsConfig) {}

  plan(streamName: string, schema: Schema, keyProperties: readonly string[]): StreamPlan {
    return planStream(this.config, { streamName, schema, keyProperties });
  }

  /**
   * Before anything is emitted: every map of every stream is compiled against the SCHEMA the
   * stream will send (`schemaOf`), so a bad map is an input error, and each stream reads only the
   * columns its outputs need (plus its key properties, replication key and primary key).
   */
  prepare(
    resolved: readonly StreamColumns[],
    schemaOf: (sc: StreamColumns) => Schema,
    log: Logger,
  ): StreamColumns[] {
    return resolved.map((sc) => {
      const s = sc.stream;
      const plan = this.plan(s.stream, schemaOf(sc), s.keyProperties);
      if (plan.unmapped) return sc;
      const names = plan.outputs.map((o) => o.alias);
      log.info(
        `${s.tapStreamId}: stream maps send stream '${s.stream}' as ${names.length === 0 ? 'nothing (removed)' : names.map((n) => `'${n}'`).join(', ')}`,
      );
      const need = columnsNeeded(plan, s.columns);
      if (!need) return sc;
      for (const c of [
        ...s.keyProperties,
        ...sc.primaryKey,
        ...(s.replicationKey ? [s.replicationKey] : []),
      ]) {
        need.add(c);
      }
      const skipped = s.columns.filter((c) => !need.has(c));
      if (skipped.length > 0) {
        log.info(
          `${s.tapStreamId}: not read, as no stream map output needs them: ${skipped.map((c) => `'${c}'`).join(', ')}`,
        );
      }
      return narrowStreamColumns(sc, need);
    });
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
    for (const o of plan.outputs) {
      writer.message({
        type: 'SCHEMA',
        stream: o.alias,
        schema: o.schema,
        key_properties: o.keyProperties,
        bookmark_properties: start.bookmarkProperties,
      });
    }
    return new MappedStreamOutput(
      writer,
      start.stream,
      start.version,
      count,
      plan.outputs,
      this.config.mapConfig,
    );
  }

  outputNames(stream: string): readonly string[] | null {
    return this.names.get(stream) ?? null;
  }
}
