import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import {
  lastState,
  parseMessages,
  records,
  replay,
  selectStreams,
  type Message,
} from './support/catalog-helpers';
import { BIN, runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Inserts, updates and deletes in single-statement transactions until stopped. */
function startWriter(url: string, table: string, seed: number): { stop(): Promise<number> } {
  const rnd = prng(seed);
  let running = true;
  let ops = 0;
  const done = (async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    let next = 100_000;
    while (running) {
      const r = rnd();
      const id = 1 + Math.floor(rnd() * 3000);
      if (r < 0.4) await c.query(`INSERT INTO ${table} VALUES ($1, 0)`, [next++]);
      else if (r < 0.8) await c.query(`UPDATE ${table} SET v = v + 1 WHERE id = $1`, [id]);
      else await c.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      ops += 1;
    }
    await c.end();
  })();
  return {
    async stop() {
      running = false;
      await done;
      return ops;
    },
  };
}

describe('LOG_BASED first snapshot under writes', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  const catalogs: Record<string, string> = {};

  const source = async (table: string) =>
    replay(
      parseMessages(
        (await runTap(['--config', config, '--catalog', catalogs[`ft-${table}`]!])).stdout,
      ),
      'id',
    );

  /** Runs from `state` until a run emits no RECORD; returns every message. */
  async function catchUp(table: string, state: unknown): Promise<Message[]> {
    const all: Message[] = [];
    let s = state;
    for (let i = 0; i < 5; i++) {
      const args = ['--config', config, '--catalog', catalogs[`lb-${table}`]!];
      if (s) args.push('--state', files.write(`s-${table}-${i}.json`, s));
      const r = await runTap(args);
      expect(r.code).toBe(0);
      const msgs = parseMessages(r.stdout);
      all.push(...msgs);
      s = lastState(msgs) ?? s;
      if (records(msgs).length === 0) break;
    }
    return all;
  }

  beforeAll(async () => {
    db = await createTestDatabase('lbsnap');
    await db.query(`
      CREATE TABLE w1 (id int PRIMARY KEY, v int);
      CREATE TABLE w2 (id int PRIMARY KEY, v int);
      INSERT INTO w1 SELECT i, 0 FROM generate_series(1, 3000) i;
      INSERT INTO w2 SELECT i, 0 FROM generate_series(1, 3000) i;
      CREATE PUBLICATION tap_postgres FOR TABLE w1, w2;
    `);
    config = files.write('config.json', {
      ...db.config,
      logical_poll_total_seconds: 5,
      batch_fetch_limit: 200,
    });
    const discovered = JSON.parse((await runTap(['--config', config, '--discover'])).stdout);
    for (const t of ['w1', 'w2']) {
      catalogs[`lb-${t}`] = files.write(
        `lb-${t}.json`,
        selectStreams(discovered, { [`public-${t}`]: { method: 'LOG_BASED' } }),
      );
      catalogs[`ft-${t}`] = files.write(
        `ft-${t}.json`,
        selectStreams(discovered, { [`public-${t}`]: { method: 'FULL_TABLE' } }),
      );
    }
  });
  afterAll(async () => {
    await db.drop();
  });

  it('inserts, updates and deletes during the first snapshot: the replay equals the source', async () => {
    const writer = startWriter(db.url, 'w1', 42);
    await new Promise((r) => setTimeout(r, 200));
    const first = await runTap(['--config', config, '--catalog', catalogs['lb-w1']!]);
    expect(first.code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    const ops = await writer.stop();
    expect(ops).toBeGreaterThan(50);
    const firstMsgs = parseMessages(first.stdout);
    const rest = await catchUp('w1', lastState(firstMsgs));
    const target = replay([...firstMsgs, ...rest], 'id');
    const expected = await source('w1');
    expect(target.size).toBe(expected.size);
    expect([...target.entries()].sort()).toEqual([...expected.entries()].sort());
  });

  it('a first run killed during its snapshot: the next run ends with no missing change', async () => {
    // The slot is created, the copy starts; the run is killed before the copy's STATE.
    const child = spawn(
      process.execPath,
      [BIN, '--config', config, '--catalog', catalogs['lb-w2']!],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const seen: Message[] = [];
    await new Promise<void>((resolve) => {
      const rl = createInterface({ input: child.stdout });
      rl.on('line', (l) => {
        seen.push(JSON.parse(l) as Message);
        if (records(seen).length >= 100) {
          rl.close();
          child.stdout.pause();
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(seen.some((m) => m.type === 'STATE' && m.value?.bookmarks['public-w2']?.lsn)).toBe(
      false,
    );
    const writer = startWriter(db.url, 'w2', 7);
    await new Promise((r) => setTimeout(r, 300));
    await writer.stop();
    const rest = await catchUp('w2', lastState(seen));
    const target = replay([...seen, ...rest], 'id');
    const expected = await source('w2');
    expect([...target.entries()].sort()).toEqual([...expected.entries()].sort());
  });
});
