import type { TapConfig } from '../config/tap-config';
import type { MappedStreamSetup } from '../maps/worker/protocol';
import type { ColumnToConvert, ValuePolicy } from '../values';

/** What a range-copy worker is started with (structured-cloned: plain data only). */
export interface RangeCopyJob {
  readonly config: TapConfig;
  readonly snapshot: string;
  /** The whole SELECT of the range, ctid condition included. */
  readonly select: string;
  readonly columns: readonly ColumnToConvert[];
  readonly policy: ValuePolicy;
  readonly stream: string;
  readonly version: number | undefined;
  /** More of each record after the row's columns (LOG_BASED's `,"_sdc_lsn":…`), already JSON. */
  readonly bodyTail?: string;
  /** Lines are the record objects alone (`{…}`, for batch files), not RECORD messages. */
  readonly recordOnly?: boolean;
  /** Lines are sent in chunks of about this many bytes. */
  readonly chunkBytes: number;
  /**
   * The stream's maps, which the worker applies to its records (RECORD lines only): the lines it
   * sends are then the mapped output's.
   */
  readonly mapping?: MappedStreamSetup;
}

/** Worker → main. `lines` is whole RECORD lines (or record objects) in UTF-8 (its buffer is transferred). */
export type RangeCopyMessage =
  | { readonly kind: 'chunk'; readonly lines: Uint8Array; readonly records: number }
  | {
      readonly kind: 'done';
      readonly records: number;
      readonly unrepresentable: ReadonlyArray<readonly [string, number]>;
    }
  | { readonly kind: 'error'; readonly message: string; readonly code?: string };

/** Chunks a worker may have sent before the main thread has written them (its memory bound). */
export const CHUNKS_IN_FLIGHT = 2;
