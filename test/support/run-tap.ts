import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main';

export interface TapRun {
  code: number;
  stdout: string;
  stderr: string;
  stderrLines: string[];
}

/** Runs the CLI in-process, exactly as bin/ does, capturing stdout and stderr. */
export async function runTap(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<TapRun> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const lines: string[] = [];
  const code = await main(argv, { stdout: out, stderr: (l) => lines.push(l), env });
  out.end();
  return {
    code,
    stdout: Buffer.concat(chunks).toString('utf8'),
    stderr: lines.join('\n'),
    stderrLines: lines,
  };
}

export const BIN = join(__dirname, '..', '..', 'bin', 'tap-postgres.js');

/** Runs the built bin as a child process (needs `npm run build`, which `npm test` does first). */
export function spawnTap(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<TapRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
        stderrLines: stderr.split('\n').filter((l) => l.length > 0),
      });
    });
  });
}

/** A temp dir for a test's config/catalog/state files. */
export function tempFiles(): { dir: string; write(name: string, content: unknown): string } {
  const dir = mkdtempSync(join(tmpdir(), 'tap-postgres-test-'));
  return {
    dir,
    write(name, content) {
      const p = join(dir, name);
      writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
      return p;
    },
  };
}
