import { loadConfig } from '../../config/load-config';
import { asRuntimeError } from '../../db/database-errors';
import type { TapConfig } from '../../config/tap-config';
import type { Queryable } from '../../discovery/catalog-query';
import { discover } from '../../discovery/discover';
import { inspectSchemas, schemaFilterWarnings } from '../../discovery/schema-filter';
import { connectFirst } from '../../db/first-connection';
import { withSshTunnel } from '../../db/ssh-tunnel';
import type { Logger } from '../../log/logger';
import { writeDocument, type CliIo } from '../cli-io';
import type { CliArgs } from '../parse-args';

/** Prints the catalog only once it is complete: a failure leaves stdout empty. */
export async function runDiscover(
  args: Extract<CliArgs, { mode: 'discover' }>,
  io: CliIo,
  log: Logger,
): Promise<number> {
  const loaded = loadConfig(args.config, io.env, log).config;
  return withSshTunnel(loaded, log, (config) => discoverWith(config, io, log));
}

async function discoverWith(config: TapConfig, io: CliIo, log: Logger): Promise<number> {
  const started = Date.now();
  const { client } = await connectFirst(config, log);
  try {
    const catalog = await discover(client, {
      database: config.database,
      schemas: config.schemas,
      compositeAsObject: config.valuePolicy.compositeAsObject,
    }).catch((e: unknown) => {
      throw asRuntimeError(e, 'discovery failed');
    });
    log.info(`discovered ${catalog.streams.length} streams in ${Date.now() - started} ms`);
    await warnAboutEmptySchemas(client, config, catalog.streams.length, log).catch((e: unknown) => {
      throw asRuntimeError(e, 'discovery failed');
    });
    await writeDocument(io.stdout, `${JSON.stringify(catalog, null, 2)}\n`);
    return 0;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A filter that matches nothing, or a role that may read nothing, should not pass in silence. */
async function warnAboutEmptySchemas(
  client: Queryable,
  config: TapConfig,
  streams: number,
  log: Logger,
): Promise<void> {
  const filter = config.schemas ?? [];
  if (filter.length > 0) {
    const statuses = await inspectSchemas(client, filter);
    for (const w of schemaFilterWarnings(statuses, config.username, config.database)) log.warn(w);
  }
  if (streams > 0) return;
  log.warn(
    filter.length > 0
      ? `no stream discovered: schemas ${filter.map((n) => `'${n}'`).join(', ')} (filter_schemas) hold no table or view that role '${config.username}' may read`
      : `no stream discovered: database '${config.database}' holds no table or view that role '${config.username}' may read`,
  );
}
