import { runChecks } from '../../check/run-checks';
import { formatReport, isReady } from '../../check/check-report';
import { loadConfig } from '../../config/load-config';
import { withSshTunnel } from '../../db/ssh-tunnel';
import type { Logger } from '../../log/logger';
import { redact } from '../../log/redact';
import { withLegacyBookmarks } from '../../state/legacy-bookmarks';
import { loadState } from '../../state/tap-state';
import { loadSelectedStreams } from '../../sync/run-sync';
import type { CliIo } from '../cli-io';
import type { CliArgs } from '../parse-args';

/**
 * `--check`: a readable report on stderr, nothing on stdout; exit 0 when a sync
 * would work, 1 when something must be fixed first, 2 for an invalid config, catalog or state.
 */
export async function runCheck(
  args: Extract<CliArgs, { mode: 'check' }>,
  io: CliIo,
  log: Logger,
): Promise<number> {
  const { config } = loadConfig(args.config, io.env, log);
  const streams = args.catalog === undefined ? null : loadSelectedStreams(args.catalog, config);
  const state = withLegacyBookmarks(loadState(args.state), streams ?? [], log);
  const sections = await withSshTunnel(config, log, (c) => runChecks(c, streams, state, log));
  for (const l of formatReport(sections)) io.stderr(redact(l));
  return isReady(sections) ? 0 : 1;
}
