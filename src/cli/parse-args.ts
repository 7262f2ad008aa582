import yargs from 'yargs';
import { UsageError } from '../errors';
import type { LogFormat, LogLevel } from '../log/logger';
import { describeChoices, invalidChoice } from './choice-options';
import { PACKAGE } from './package-info';

export type TestMode = 'record' | 'schema';

export interface Logging {
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

/** The command line after parsing: exactly one mode, with the inputs that mode needs. */
export type CliArgs =
  | { readonly mode: 'about'; readonly format: 'json' | 'markdown' }
  | ({ readonly mode: 'discover'; readonly config: readonly string[] } & Logging)
  | ({
      readonly mode: 'sync';
      readonly config: readonly string[];
      readonly catalog: string;
      readonly state: string | undefined;
      readonly test: TestMode | undefined;
      /** --state-out: file that receives each emitted STATE's value (atomically replaced). */
      readonly stateOut: string | undefined;
    } & Logging)
  | ({
      readonly mode: 'check';
      readonly config: readonly string[];
      readonly catalog: string | undefined;
      readonly state: string | undefined;
    } & Logging)
  /** --help / --version: yargs produced the text. */
  | { readonly mode: 'text'; readonly text: string };

const EPILOG = `Exit codes: 0 success (also after SIGTERM / SIGINT, with a final STATE that resumes the run); 1 failure while running; 2 bad usage or invalid config, catalog or state.
Documentation: README.md; settings: tap-postgres --about --format markdown`;

function parser() {
  return yargs()
    .scriptName('tap-postgres')
    .usage(
      '$0 --config CONFIG --discover\n$0 --config CONFIG --catalog CATALOG [--state STATE] [--state-out FILE]\n$0 --about [--format json|markdown]\n\nA Singer tap for PostgreSQL.',
    )
    .option('config', {
      alias: 'c',
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'Config JSON file; repeat to merge left to right; ENV reads TAP_POSTGRES_<KEY>',
    })
    .option('discover', { alias: 'd', type: 'boolean', describe: 'Print the catalog on stdout' })
    .option('catalog', {
      type: 'string',
      requiresArg: true,
      describe: 'Catalog JSON file: sync its selected streams',
    })
    .option('properties', {
      alias: 'p',
      type: 'string',
      requiresArg: true,
      describe: 'Legacy alias of --catalog',
    })
    .option('state', {
      alias: 's',
      type: 'string',
      requiresArg: true,
      describe: 'State JSON file to resume from',
    })
    .option('about', {
      type: 'boolean',
      describe: 'Print name, version, capabilities and settings',
    })
    .option('format', {
      type: 'string',
      requiresArg: true,
      describe: `Format of --about: ${describeChoices('format')}`,
    })
    .option('test', {
      type: 'string',
      describe:
        'Sync at most one record per stream (--test) or only SCHEMA messages (--test=schema)',
    })
    .option('check', {
      type: 'boolean',
      describe: 'Check the database is ready for the selected streams',
    })
    .option('state-out', {
      type: 'string',
      requiresArg: true,
      describe:
        "Write each emitted STATE's value to this file (replaced atomically), for the next --state",
    })
    .option('log-format', {
      type: 'string',
      requiresArg: true,
      default: 'text',
      describe: `Log lines on stderr as "LEVEL message" (text) or one JSON object each (json): ${describeChoices('log-format')}`,
    })
    .option('log-level', {
      type: 'string',
      requiresArg: true,
      default: 'info',
      describe: `Least severe log level on stderr: ${describeChoices('log-level')}`,
    })
    .check((argv) => {
      const problem = invalidChoice(argv);
      if (problem) throw new Error(problem);
      return true;
    })
    .version(PACKAGE.version)
    .help()
    .alias('h', 'help')
    .strict()
    .epilog(EPILOG)
    .wrap(100)
    .exitProcess(false);
}

interface Raw {
  config?: string[];
  discover?: boolean;
  catalog?: string;
  properties?: string;
  state?: string;
  about?: boolean;
  format?: string;
  test?: string;
  check?: boolean;
  'log-level'?: string;
  'log-format'?: string;
  'state-out'?: string;
  help?: boolean;
  version?: boolean;
}

function single(raw: Raw, argv: readonly string[], name: keyof Raw & string): void {
  const v = raw[name];
  if (Array.isArray(v)) throw new UsageError(`--${name} may be given only once`);
  if (argv.filter((a) => a === `--${name}` || a.startsWith(`--${name}=`)).length > 1) {
    throw new UsageError(`--${name} may be given only once`);
  }
}

function testMode(v: string | undefined): TestMode | undefined {
  if (v === undefined) return undefined;
  if (v === '' || v === 'true' || v === 'record') return 'record';
  if (v === 'schema') return 'schema';
  throw new UsageError(`--test takes no value or =schema (got '${v}')`);
}

/** Parses argv into one mode. yargs reports unknown flags; the combinations are checked here. */
export function parseArgs(argv: readonly string[]): CliArgs {
  let captured = '';
  let failure: string | undefined;
  const raw = parser()
    .fail((msg, err) => {
      failure = msg || err?.message || 'invalid arguments';
    })
    .parseSync([...argv], {}, (_err, _args, output) => {
      captured = output;
    }) as Raw;
  if (failure) throw new UsageError(`${failure.split('\n')[0]} (see --help)`);
  if (raw.help || raw.version)
    return { mode: 'text', text: captured.endsWith('\n') ? captured : `${captured}\n` };
  for (const n of [
    'catalog',
    'properties',
    'state',
    'format',
    'test',
    'log-level',
    'log-format',
    'state-out',
  ] as const)
    single(raw, argv, n);

  const logging: Logging = {
    logLevel: (raw['log-level'] ?? 'info') as LogLevel,
    logFormat: (raw['log-format'] ?? 'text') as LogFormat,
  };
  const catalog = raw.catalog ?? raw.properties;
  if (raw.catalog !== undefined && raw.properties !== undefined) {
    throw new UsageError('give --catalog or --properties, not both');
  }
  if (raw.about) {
    if (raw.discover || catalog || raw.check)
      throw new UsageError('--about cannot be combined with other modes');
    return { mode: 'about', format: raw.format === 'markdown' ? 'markdown' : 'json' };
  }
  if (raw.format !== undefined) throw new UsageError('--format only applies to --about');
  if (raw['state-out'] !== undefined && (raw.discover || raw.check || catalog === undefined)) {
    throw new UsageError('--state-out only applies to a sync (--catalog CATALOG)');
  }
  const config = raw.config ?? [];
  if (config.length === 0) throw new UsageError('missing --config (see --help)');
  if (raw.discover) {
    if (catalog !== undefined)
      throw new UsageError('--discover cannot be combined with --catalog or --properties');
    if (raw.state !== undefined || raw.test !== undefined || raw.check) {
      throw new UsageError('--discover cannot be combined with --state, --test or --check');
    }
    return { mode: 'discover', config, ...logging };
  }
  if (raw.check) {
    if (raw.test !== undefined) throw new UsageError('--check cannot be combined with --test');
    return { mode: 'check', config, catalog, state: raw.state, ...logging };
  }
  if (catalog === undefined) {
    throw new UsageError(
      'nothing to do: give --discover, --catalog CATALOG or --check (see --help)',
    );
  }
  return {
    mode: 'sync',
    config,
    catalog,
    state: raw.state,
    test: testMode(raw.test),
    stateOut: raw['state-out'],
    ...logging,
  };
}
