import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseMessages, records, selectStreams } from './support/catalog-helpers';
import { BIN, runTap, spawnTap, tempFiles } from './support/run-tap';
import { itNeeding } from './support/requirements';
import { createTestDatabase, type TestDatabase } from './support/test-db';

interface Metric {
  type: string;
  metric: string;
  value: number;
  tags: Record<string, string>;
}

const metricsOf = (lines: string[]): Metric[] =>
  lines.filter((l) => l.startsWith('INFO METRIC: ')).map((l) => JSON.parse(l.slice(13)) as Metric);

describe('progress on stderr', () => {
  let db: TestDatabase;
  let files: ReturnType<typeof tempFiles>;
  let config: string;
  let catalog: string;
  beforeAll(async () => {
    db = await createTestDatabase('progress');
    // A view whose rows take 10 ms each: a sync that lasts about a second whatever the machine.
    await db.query(`
      CREATE TABLE items (id int PRIMARY KEY, name text);
      INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 500) i;
      ANALYZE items;
      CREATE FUNCTION slow_id(i int) RETURNS int VOLATILE LANGUAGE sql AS
        'SELECT pg_sleep(0.01); SELECT i';
      CREATE VIEW slow AS SELECT slow_id(i) AS id FROM generate_series(1, 100) i;`);
    files = tempFiles();
    config = files.write('config.json', {
      ...db.config,
      filter_schemas: 'public',
      batch_fetch_limit: 10,
      metrics_log_interval: 0.1,
    });
    const discovered = JSON.parse((await runTap(['--config', config, '--discover'])).stdout);
    catalog = files.write(
      'catalog.json',
      selectStreams(discovered, {
        'public-items': { method: 'FULL_TABLE' },
        'public-slow': { method: 'FULL_TABLE' },
      }),
    );
  });
  afterAll(async () => {
    await db.drop();
  });

  it('METRIC lines parse, sum to the records emitted, and time each stream', async () => {
    const r = await runTap(['--config', config, '--catalog', catalog]);
    expect(r.code).toBe(0);
    const msgs = parseMessages(r.stdout);
    const metrics = metricsOf(r.stderrLines);
    for (const stream of ['public-items', 'public-slow']) {
      const counts = metrics.filter(
        (m) => m.metric === 'record_count' && m.tags.endpoint === stream,
      );
      expect(counts.reduce((n, m) => n + m.value, 0)).toBe(records(msgs, stream).length);
      const timers = metrics.filter(
        (m) => m.metric === 'sync_duration' && m.tags.stream === stream,
      );
      expect(timers).toEqual([
        {
          type: 'timer',
          metric: 'sync_duration',
          value: expect.any(Number),
          tags: { endpoint: stream, stream, status: 'succeeded' },
        },
      ]);
    }
    // The slow view takes about a second: the 0.1 s interval reports it while it runs (how rows
    // arrive within the second is the reader's business; the unit test covers counter increases).
    const progressLines = r.stderrLines.filter((l) =>
      /^INFO progress public-slow: \d+ rows, \d+ rows\/s, \d:\d\d elapsed$/.test(l),
    );
    expect(progressLines.length).toBeGreaterThan(2);
  });

  it('--log-format json prints one JSON object per stderr line, errors included', async () => {
    const r = await runTap(['--config', config, '--catalog', catalog, '--log-format', 'json']);
    expect(r.code).toBe(0);
    const lines = r.stderrLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) {
      expect(l).toEqual(
        expect.objectContaining({ level: expect.any(String), message: expect.any(String) }),
      );
      expect(new Date(l.time as string).toISOString()).toBe(l.time);
    }
    const metric = lines.find((l) => (l.message as string).startsWith('METRIC: '));
    expect(metric).toMatchObject({
      level: 'info',
      metric: { type: 'counter', metric: 'record_count' },
    });

    const bad = await runTap([
      '--config',
      files.write('bad.json', { port: 'x' }),
      '--discover',
      '--log-format',
      'json',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderrLines).toHaveLength(1);
    expect(JSON.parse(bad.stderrLines[0]!)).toMatchObject({ level: 'critical' });
  });

  it('--state-out holds the value of the last STATE, replaced atomically', async () => {
    const out = join(files.dir, 'state.out.json');
    const r = await spawnTap(['--config', config, '--catalog', catalog, '--state-out', out]);
    expect(r.code).toBe(0);
    const states = parseMessages(r.stdout).filter((m) => m.type === 'STATE');
    expect(states.length).toBeGreaterThan(1);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(states.at(-1)!.value);
    expect(readdirSync(files.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // and the next run resumes from it
    const next = await runTap(['--config', config, '--catalog', catalog, '--state', out]);
    expect(next.code).toBe(0);
  });

  it('--state-out into a missing directory fails before any output', async () => {
    const r = await runTap([
      '--config',
      config,
      '--catalog',
      catalog,
      '--state-out',
      join(files.dir, 'missing', 'state.json'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderrLines.at(-1)).toMatch(/^CRITICAL --state-out .*not writable/);
    expect(existsSync(join(files.dir, 'missing'))).toBe(false);
  });

  itNeeding('script')(
    'draws progress bars when stderr is a terminal (under script(1))',
    async () => {
      const out = join(files.dir, 'tty.jsonl');
      const cmd = `${process.execPath} ${BIN} --config ${config} --catalog ${catalog} > ${out}`;
      const { stdout } = await promisify(execFile)('script', ['-qec', cmd, '/dev/null'], {
        env: { PATH: process.env.PATH, TERM: 'xterm', COLUMNS: '120' },
      });
      expect(stdout).toContain('\x1b[2K');
      expect(stdout).toMatch(/public-slow +\[[·█░]+\] .*rows\/s/);
      expect(stdout).toMatch(/public-items +\[[█░]+\] +\d+% {2}[\d,]+\/~500 rows/);
      // Singer messages still go to stdout only.
      expect(records(parseMessages(readFileSync(out, 'utf8')), 'public-slow')).toHaveLength(100);
    },
  );
});
