import type { BatchConfig } from './batch-config';

/** The tap's name in file names, as the Meltano SDK puts its `tap_name` there. */
const TAP_NAME = 'tap-postgres';

/** Bytes a `file://` URI keeps as they are: Python's `urllib.parse.quote` with `safe='/'`. */
const URI_KEEP = /^[A-Za-z0-9_.~/-]$/;

/**
 * `file://` and the absolute path, percent-encoded byte by byte the way the SDK's targets expect
 * it (`pathlib.Path.as_uri`): a space is `%20`, a non-ASCII letter its UTF-8 bytes.
 */
export function fileUri(absolutePath: string): string {
  let out = 'file://';
  for (const ch of absolutePath) {
    if (URI_KEEP.test(ch)) out += ch;
    else
      for (const b of Buffer.from(ch, 'utf8'))
        out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The SDK's file name: `<prefix><tap>--<stream>-<uuid>-<n>.json.gz` (`.json` uncompressed), with
 * one uuid per copy of a stream and n counting its files from 1. A `/` in a stream name would
 * make a directory of it: it becomes `_`.
 */
export function batchFileName(
  config: BatchConfig,
  stream: string,
  copyId: string,
  n: number,
): string {
  const safe = stream.replace(/[/\\\0]/g, '_');
  const ext = config.compression === 'gzip' ? '.json.gz' : '.json';
  return `${config.prefix}${TAP_NAME}--${safe}-${copyId}-${n}${ext}`;
}

/**
 * A BATCH message as the SDK writes it: one file per message, the encoding as configured
 * (compression spelled out, since the SDK's targets read a missing one as uncompressed).
 */
export function batchMessageLine(config: BatchConfig, stream: string, uri: string): string {
  return `${JSON.stringify({
    type: 'BATCH',
    stream,
    encoding: { format: config.format, compression: config.compression },
    manifest: [uri],
  })}\n`;
}
