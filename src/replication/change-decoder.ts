import type { ClientBase } from 'pg';
import type { DecodingPlugin } from '../config/tap-config';
import type { Lsn } from './lsn';
import type { PgoutputMessage } from './pgoutput/messages';
import { parsePgoutput } from './pgoutput/parser';
import type { PgoutputStartOptions, PluginStartOptions } from './wal-reader';
import { queryPartitions, queryTableLayouts } from './wal2json/table-layout';
import { Wal2jsonTranslator } from './wal2json/translator';

/**
 * Turns one replication frame (its payload and XLogData start LSN) into the messages the
 * LOG_BASED stream loop understands. The loop speaks pgoutput's message model; every other plugin
 * is translated into it here, so relation handling, TOAST merging and value conversion exist once.
 */
export type ChangeDecoder = (payload: Buffer, frameLsn: Lsn) => readonly PgoutputMessage[];

/** How to start the slot's plugin and how to read what it sends. */
export interface Decoding {
  readonly start: PluginStartOptions;
  readonly decode: ChangeDecoder;
}

export interface DecodingRequest {
  readonly plugin: DecodingPlugin;
  /** The LOG_BASED tables. */
  readonly tables: readonly { readonly schema: string; readonly table: string }[];
  /** What pgoutput is asked for (wal2json ignores publications and protocol versions). */
  readonly pgoutput: PgoutputStartOptions;
}

/**
 * Prepares decoding for one replication session. For wal2json it reads the tables' current columns
 * on `client` (the first UPDATE of a session may leave TOAST columns out).
 */
export async function prepareDecoding(
  client: ClientBase,
  request: DecodingRequest,
): Promise<Decoding> {
  switch (request.plugin) {
    case 'pgoutput':
      return {
        start: request.pgoutput,
        decode: (payload) => [parsePgoutput(payload, { inStream: false })],
      };
    case 'wal2json': {
      const partitions = await queryPartitions(client, request.tables);
      const translator = new Wal2jsonTranslator({
        baselines: await queryTableLayouts(client, request.tables),
        partitions,
      });
      return {
        // wal2json filters by the name a change is stored under: a partitioned table's leaves.
        start: {
          plugin: 'wal2json',
          tables: [...request.tables, ...partitions.map((p) => p.leaf)],
        },
        decode: (payload, frameLsn) => translator.translate(payload, frameLsn),
      };
    }
  }
}
