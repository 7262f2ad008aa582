import type { FlatteningOptions } from '../flattening';
import type { Schema } from '../schema-types';

/** What the map worker needs to map one source stream as the main thread would (plain data). */
export interface MappedStreamSetup {
  /** `stream_maps` and `stream_map_config` as given in the config. */
  readonly streamMaps: unknown;
  readonly streamMapConfig: unknown;
  readonly flattening: FlatteningOptions | null;
  readonly stream: string;
  readonly schema: Schema;
  readonly keyProperties: readonly string[];
}

/** Main → worker. */
export type MapWorkerRequest =
  | { readonly kind: 'open'; readonly id: number; readonly setup: MappedStreamSetup }
  | {
      readonly kind: 'map';
      readonly id: number;
      readonly seq: number;
      /** Whole source RECORD lines (the buffer is transferred, and comes back with the result). */
      readonly lines: Uint8Array;
      /** Bytes of each line before its record's first key. */
      readonly skip: number;
      /**
       * Where each record's entries are (RecordIndex): `lines` is then the records' bodies alone,
       * each output line ending with `suffix`. Absent when the worker must scan whole lines (their
       * bodies end with more than the encoder wrote).
       */
      readonly index?: Int32Array;
      readonly suffix?: Uint8Array;
      /** Entries per record in `index`. */
      readonly columns: number;
      /** Changes when the lines' keys may have (another encoder): the indexed keys are compared again. */
      readonly layout: number;
    }
  /** An output buffer the main thread has written: the worker fills it again. */
  | { readonly kind: 'give-back'; readonly buffer: ArrayBuffer };

/** Worker → main. */
export type MapWorkerReply =
  | { readonly kind: 'ready' }
  | {
      readonly kind: 'mapped';
      readonly seq: number;
      /** The output lines, every output stream's, in order (the buffer is transferred). */
      readonly lines: Uint8Array;
      /** The request's buffers, back for the next job. */
      readonly input: ArrayBuffer;
      readonly index?: ArrayBuffer;
    }
  | {
      readonly kind: 'failed';
      readonly seq: number;
      readonly message: string;
      /** Whether it was the tap's RuntimeError (a failing expression) rather than a bug. */
      readonly runtime: boolean;
    };
