import type { ByteSink } from '../values/byte-sink';
import type { RecordView } from './record-view';
import type { Schema } from './schema-types';
import type { StreamMap } from './stream-map';

/**
 * One stage of an output stream's records: the map's own (RecordTransform), then any appended
 * (e.g. flattening). Each stage reads the body the stage before wrote, as a RecordView, and
 * writes the next; the SCHEMA goes through `schema` of each stage in the same order.
 */
export interface RecordStep {
  /** The output's SCHEMA after this stage, given the one before. */
  schema(before: Schema): Schema;
  /** Takes the record in `view`; false leaves it out of this output. */
  prepare(view: RecordView): boolean;
  /** Writes the body of the record `prepare` took. */
  writeBody(sink: ByteSink): void;
}

/** Makes the stage appended to an output's map (null: none for this output). */
export type RecordStepFactory = (output: StreamMap) => RecordStep | null;
