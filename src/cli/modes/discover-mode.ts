import { loadConfig } from '../../config/load-config';
import { asRuntimeError } from '../../db/database-errors';
import { discover } from '../../discovery/discover';
import { connectNegotiatingTls } from '../../db/tls-fallback';
import type { Logger } from '../../log/logger';
import { writeDocument, type CliIo } from '../cli-io';
import type { CliArgs } from '../parse-args';

/** Prints the catalog only once it is complete: a failure leaves stdout empty. */
export async function runDiscover(
  args: Extract<CliArgs, { mode: 'discover' }>,
  io: CliIo,
  log: Logger,
): Promise<number> {
  const { config } = loadConfig(args.config, io.env, log);
  const started = Date.now();
  const { client } = await connectNegotiatingTls(config, log);
  try {
    const catalog = await discover(client, {
      database: config.database,
      schemas: config.schemas,
    }).catch((e: unknown) => {
      throw asRuntimeError(e, 'discovery failed');
    });
    log.info(`discovered ${catalog.streams.length} streams in ${Date.now() - started} ms`);
    await writeDocument(io.stdout, `${JSON.stringify(catalog, null, 2)}\n`);
    return 0;
  } finally {
    await client.end().catch(() => {});
  }
}
