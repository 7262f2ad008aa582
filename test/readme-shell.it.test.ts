import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_SCHEMA_SQL } from '../src/demo/demo-schema';
import { describeNeeding } from './support/requirements';
import { BIN, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

const ROOT = join(__dirname, '..');
/** The README's examples first (they write selected.json and state.json), then the other page's. */
const DOCS = ['README.md', 'docs/shell-pipelines.md'].map((f) =>
  readFileSync(join(ROOT, f), 'utf8'),
);
const FIXTURE_BIN = join(__dirname, 'fixtures', 'bin');

/** The shell blocks marked `<!-- tested: name -->` in README.md and docs/shell-pipelines.md. */
function testedBlocks(): Array<{ name: string; script: string }> {
  const re = /<!-- tested: ([\w-]+) -->\n```sh\n([\s\S]*?)```/g;
  return DOCS.flatMap((doc) => [...doc.matchAll(re)]).map((m) => ({ name: m[1]!, script: m[2]! }));
}

describeNeeding('jq')('the shell examples of README.md and docs/shell-pipelines.md', () => {
  let db: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const blocks = testedBlocks();
  const block = (name: string) => blocks.find((b) => b.name === name)!.script;
  const sh = async (script: string) =>
    promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: dir, env });
  const lines = (file: string) => readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);

  beforeAll(async () => {
    db = await createTestDatabase('readme');
    await db.query(DEMO_SCHEMA_SQL);
    const files = tempFiles();
    dir = files.dir;
    files.write('config.json', { ...db.config, filter_schemas: 'shop' });
    files.write('target-jsonl.json', { destination_path: 'out' });
    files.write('target-postgres.json', { host: 'stand-in' });
    // `tap-postgres` on PATH, as after `npm install -g`
    const bin = files.write(
      'tap-postgres',
      `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`,
    );
    chmodSync(bin, 0o755);
    env = { PATH: `${dir}:${FIXTURE_BIN}:${process.env.PATH}`, HOME: process.env.HOME };
  });
  afterAll(async () => {
    await db.drop();
  });

  it('are all found, each once', () => {
    expect(blocks.map((b) => b.name)).toEqual(['select', 'jsonl', 'postgres', 'count', 'tee']);
  });

  it('select: discovers and selects every stream with jq', async () => {
    await sh(block('select'));
    const selected = JSON.parse(readFileSync(join(dir, 'selected.json'), 'utf8'));
    expect(selected.streams.length).toBeGreaterThan(2);
    for (const s of selected.streams) {
      const root = s.metadata.find((m: { breadcrumb: string[] }) => m.breadcrumb.length === 0);
      expect(root.metadata).toMatchObject({ selected: true, 'replication-method': 'FULL_TABLE' });
    }
  });

  it('count: counts the records per stream with jq', async () => {
    const { stdout } = await sh(block('count'));
    const counts = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .map(([n, stream]) => [stream, Number(n)]),
    );
    const n = (await db.query<{ n: string }>('SELECT count(*) AS n FROM shop.customers'))[0]!.n;
    expect(counts['shop-customers']).toBe(Number(n));
    expect(Object.keys(counts).length).toBeGreaterThan(2);
  });

  it('jsonl: writes the records and adopts --state-out only after the pipeline succeeded', async () => {
    await sh(block('jsonl'));
    const n = (await db.query<{ n: string }>('SELECT count(*) AS n FROM shop.orders'))[0]!.n;
    expect(lines('out/shop-orders.jsonl')).toHaveLength(Number(n));
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(Object.keys(state.bookmarks)).toContain('shop-orders');
    expect(existsSync(join(dir, 'state.next.json'))).toBe(false);

    // A failing target: the pipeline fails, the state stays where it was.
    const before = readFileSync(join(dir, 'state.json'), 'utf8');
    writeFileSync(join(dir, 'target-jsonl.json'), '{not json');
    await expect(sh(block('jsonl'))).rejects.toMatchObject({ code: expect.any(Number) });
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(before);
    writeFileSync(join(dir, 'target-jsonl.json'), JSON.stringify({ destination_path: 'out' }));
  });

  it("postgres: resumes from the target's last echoed state", async () => {
    await sh(block('postgres'));
    const echoed = lines('target-state.jsonl');
    expect(echoed.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'state.json'), 'utf8').trim()).toBe(echoed.at(-1));
  });

  it('tee: keeps the last STATE of the saved output', async () => {
    await sh(block('tee'));
    const out = lines('out.jsonl').map((l) => JSON.parse(l) as { type: string; value?: unknown });
    const last = out.filter((m) => m.type === 'STATE').at(-1)!.value;
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))).toEqual(last);
    expect(readdirSync(join(dir, 'out'))).toContain('shop-customers.jsonl');
  });
});
