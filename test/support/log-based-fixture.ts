import { wal2jsonServerUrl } from './debian-server';
import {
  lastState,
  parseMessages,
  selectStreams,
  type Message,
  type Selection,
} from './catalog-helpers';
import { recordSchemaErrors } from './record-schemas';
import { runTap, spawnTap, tempFiles, type TapRun } from './run-tap';
import { createTestDatabase, type TestDatabase } from './test-db';

/** A database with LOG_BASED streams selected, and a way to run the tap on it. */
export interface LogBasedFixture {
  readonly db: TestDatabase;
  readonly files: ReturnType<typeof tempFiles>;
  /** (Re)discovers and selects `streams` (each LOG_BASED unless said otherwise). */
  select(streams: Record<string, Partial<Selection>>): Promise<void>;
  /** Runs the tap in-process from `state` (a state value), with extra config keys, CLI args and environment. */
  run(
    state?: unknown,
    config?: Record<string, unknown>,
    args?: string[],
    env?: NodeJS.ProcessEnv,
  ): Promise<Run>;
  /** The CLI arguments a run from `state` with extra config keys gets (to spawn it oneself). */
  args(state?: unknown, config?: Record<string, unknown>): string[];
  /** The same through the built bin, in a child process with `env`. */
  spawn(state?: unknown, config?: Record<string, unknown>, env?: NodeJS.ProcessEnv): Promise<Run>;
}

export interface Run extends TapRun {
  readonly msgs: Message[];
}

/**
 * `plugin: 'wal2json'`: on the wal2json server (debian-server.ts), every run configured for it;
 * `admin`: another server's superuser URL; `config`: keys every run and the discovery get.
 */
export async function logBasedFixture(
  prefix: string,
  setupSql: string,
  opts: {
    plugin?: 'pgoutput' | 'wal2json';
    admin?: string;
    config?: Record<string, unknown>;
  } = {},
): Promise<LogBasedFixture> {
  const wal2json = opts.plugin === 'wal2json';
  const db = await createTestDatabase(
    prefix,
    opts.admin ?? (wal2json ? wal2jsonServerUrl() : undefined),
  );
  await db.query(setupSql);
  const files = tempFiles();
  const base = {
    ...db.config,
    logical_poll_total_seconds: 5,
    ...(wal2json ? { logical_decoding_plugin: 'wal2json' } : {}),
    ...opts.config,
  };
  let catalog = '';
  let n = 0;
  const argv = (state: unknown, config: Record<string, unknown>) => {
    n += 1;
    const a = ['--config', files.write(`config-${n}.json`, { ...base, ...config })];
    a.push('--catalog', catalog);
    if (state !== undefined) a.push('--state', files.write(`state-${n}.json`, state));
    return a;
  };
  return {
    db,
    files,
    async select(streams) {
      const disc = await runTap(['--config', files.write('discover.json', base), '--discover']);
      const sel = Object.fromEntries(
        Object.entries(streams).map(([id, s]) => [id, { method: 'LOG_BASED' as const, ...s }]),
      );
      catalog = files.write(`catalog-${++n}.json`, selectStreams(JSON.parse(disc.stdout), sel));
    },
    async run(state, config = {}, args = [], env = {}) {
      const r = await runTap([...argv(state, config), ...args], env);
      return { ...r, msgs: parseMessages(r.stdout) };
    },
    args(state, config = {}) {
      return argv(state, config);
    },
    async spawn(state, config = {}, env = {}) {
      const r = await spawnTap(argv(state, config), env);
      return { ...r, msgs: parseMessages(r.stdout) };
    },
  };
}

/**
 * Runs that each resume from the last STATE of the ones before, as a scheduler would; each must
 * succeed with every RECORD valid under its SCHEMA. `runs` is everything a target received.
 */
export function resumingRuns(f: LogBasedFixture): {
  readonly runs: Message[][];
  run(config?: Record<string, unknown>): Promise<Run>;
} {
  const runs: Message[][] = [];
  return {
    runs,
    async run(config = {}) {
      const r = await f.run(lastState(runs.flat()), config);
      expect(r.stderr).not.toMatch(/CRITICAL/);
      expect(r.code).toBe(0);
      expect(recordSchemaErrors(r.msgs)).toEqual([]);
      runs.push(r.msgs);
      return r;
    },
  };
}
