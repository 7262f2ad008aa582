import { spawn } from 'node:child_process';
import { selectStreams } from './support/catalog-helpers';
import { BIN, runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A second SIGTERM / SIGINT stops the tap without waiting for a safe boundary, but never in the
 * middle of a line: a target reading the output sees whole JSON messages only.
 */
describe('a second SIGTERM / SIGINT', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let argv: string[];

  beforeAll(async () => {
    db = await createTestDatabase('forced_stop');
    // Lines far larger than a pipe's buffer: a write in flight is always taken in pieces.
    await db.query(`
      CREATE TABLE big (id int PRIMARY KEY, pad text NOT NULL);
      INSERT INTO big SELECT i, repeat(md5(i::text), 6000) FROM generate_series(1, 400) AS i;`);
    const config = files.write('config.json', { ...db.config });
    const disc = await runTap(['--config', config, '--discover']);
    const catalog = files.write(
      'catalog.json',
      selectStreams(JSON.parse(disc.stdout), { 'public-big': { method: 'FULL_TABLE' } }),
    );
    argv = ['--config', config, '--catalog', catalog];
  });
  afterAll(async () => {
    await db.drop();
  });

  it.each([
    ['SIGTERM' as const, 143],
    ['SIGINT' as const, 130],
  ])(
    '%s twice while stdout is a full pipe: only whole lines, then exit %d',
    async (signal, exitCode) => {
      const child = spawn(process.execPath, [BIN, ...argv], {
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const err: Buffer[] = [];
      child.stderr.on('data', (c: Buffer) => err.push(c));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      // A slow reader: a little at a time, and nothing until both signals are in, so the tap is
      // blocked on a full pipe in the middle of a line when they come.
      const out: Buffer[] = [];
      let reading = false;
      child.stdout.on('data', (c: Buffer) => {
        out.push(c);
        child.stdout.pause();
        if (reading) setTimeout(() => child.stdout.resume(), 5);
      });
      child.stdout.pause();
      try {
        await sleep(2000);
        child.kill(signal);
        await sleep(200);
        child.kill(signal);
        await sleep(200);
        reading = true;
        child.stdout.resume();
        const code = await exited;
        const stderr = Buffer.concat(err).toString('utf8');
        expect(stderr).toMatch(new RegExp(`${signal} again`));
        expect(code).toBe(exitCode);
        const text = Buffer.concat(out).toString('utf8');
        expect(text.length).toBeGreaterThan(0);
        expect(text.endsWith('\n')).toBe(true);
        const lines = text.slice(0, -1).split('\n');
        for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
        // It stopped early: the run did not get to its end.
        expect(lines.filter((l) => l.startsWith('{"type":"RECORD"')).length).toBeLessThan(400);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
    60_000,
  );
});
