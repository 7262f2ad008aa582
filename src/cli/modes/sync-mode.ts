import { loadConfig } from '../../config/load-config';
import { NotImplementedError } from '../../errors';
import type { Logger } from '../../log/logger';
import type { CliIo } from '../cli-io';
import type { CliArgs } from '../parse-args';

export async function runSync(
  args: Extract<CliArgs, { mode: 'sync' }>,
  io: CliIo,
  log: Logger,
): Promise<number> {
  loadConfig(args.config, io.env, log);
  throw new NotImplementedError('sync (--catalog) is not implemented yet in this version');
}
