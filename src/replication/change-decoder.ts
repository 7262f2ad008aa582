import type { DecodingPlugin } from '../config/tap-config';
import { RuntimeError } from '../errors';
import type { PgoutputMessage } from './pgoutput/messages';
import { parsePgoutput } from './pgoutput/parser';

/**
 * Turns one replication frame into the messages the LOG_BASED stream loop understands. The loop
 * speaks pgoutput's message model; every other plugin is translated into it here, so relation
 * handling, TOAST merging and value conversion exist once.
 */
export type ChangeDecoder = (payload: Buffer) => readonly PgoutputMessage[];

export function changeDecoder(plugin: DecodingPlugin): ChangeDecoder {
  switch (plugin) {
    case 'pgoutput':
      return (payload) => [parsePgoutput(payload, { inStream: false })];
    case 'wal2json':
      throw new RuntimeError('logical_decoding_plugin wal2json is not supported yet');
  }
}
