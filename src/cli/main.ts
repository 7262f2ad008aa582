import { isTapError } from '../errors';
import { createLogger, formatLogLine, type LogFormat } from '../log/logger';
import { redact } from '../log/redact';
import { LiveArea } from '../progress/live-area';
import { writeDocument, type CliIo } from './cli-io';
import { runAbout } from './modes/about-mode';
import { runCheck } from './modes/check-mode';
import { runDiscover } from './modes/discover-mode';
import { runSync } from './modes/sync-mode';
import { parseArgs, type CliArgs } from './parse-args';

/**
 * The whole command line as a function: argv in, exit code out. Only bin/ calls process.exit, so
 * tests run this in-process and see exactly what a user would.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let format: LogFormat = 'text';
  let live: LiveArea | undefined;
  try {
    const args: CliArgs = parseArgs(argv);
    if ('logFormat' in args) format = args.logFormat;
    switch (args.mode) {
      case 'text':
        await writeDocument(io.stdout, args.text);
        return 0;
      case 'about':
        return await runAbout(args.format, io);
      case 'discover':
        return await runDiscover(args, io, createLogger(io.stderr, args.logLevel, format));
      case 'sync': {
        // On a terminal, log lines are printed above the progress bars.
        live = io.terminal ? new LiveArea(io.terminal) : undefined;
        const log = createLogger(live ? live.log : io.stderr, args.logLevel, format);
        return await runSync(args, io, log, live);
      }
      case 'check':
        return await runCheck(args, io, createLogger(io.stderr, args.logLevel, format));
    }
  } catch (e) {
    live?.close();
    return reportFailure(e, io, format);
  }
}

/** One readable line on stderr; the stack only when TAP_POSTGRES_DEBUG asks for it. */
function reportFailure(e: unknown, io: CliIo, format: LogFormat): number {
  const debug = Boolean(io.env.TAP_POSTGRES_DEBUG);
  const message = e instanceof Error ? e.message : String(e);
  const line = isTapError(e) ? message : `unexpected error: ${message}`;
  io.stderr(formatLogLine(format, 'critical', line.replace(/\s*\n\s*/g, ' ')));
  if (debug && e instanceof Error && e.stack) io.stderr(redact(e.stack));
  return isTapError(e) ? e.exitCode : 1;
}
