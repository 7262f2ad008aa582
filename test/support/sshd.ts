import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';

/**
 * A real OpenSSH server for the SSH tunnel tests: Debian's `openssh-server` (/usr/sbin/sshd,
 * installed by .ci/run), started on a free port of 127.0.0.1 with a configuration, a host key
 * and an authorized key of its own in a temporary directory. As root it lets root log in with
 * the key; as any other user sshd can only log in that same user, which is who the tests log in
 * as then.
 */
export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  readonly port: number;
  readonly username: string;
  /** An authorized key, unencrypted (OpenSSH format). */
  readonly key: string;
  /** An authorized key encrypted with `passphrase`. */
  readonly encryptedKey: string;
  readonly passphrase: string;
  /** A valid key that is not authorized. */
  readonly strangerKey: string;
  /** The host key's fingerprint as ssh-keygen -l prints it. */
  readonly hostKeyFingerprint: string;
  /** What sshd wrote on stderr so far (its -e log). */
  log(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

function fingerprint(privateKey: string): string {
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  return `SHA256:${createHash('sha256').update(key.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
}

/**
 * An ed25519 key pair that ssh2 itself reads back: about 1 in 400 of those its generator makes,
 * it then refuses as a "Malformed OpenSSH private key", which would fail a run at random.
 */
function parsableKeyPair(options?: { passphrase: string; cipher: string; rounds: number }) {
  for (;;) {
    const pair = options
      ? utils.generateKeyPairSync('ed25519', options)
      : utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.private, options?.passphrase) instanceof Error)) return pair;
  }
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'tap-postgres-sshd-'));
  const host = parsableKeyPair();
  const user = parsableKeyPair();
  const passphrase = 'tunnel passphrase 7q';
  const encrypted = parsableKeyPair({ passphrase, cipher: 'aes256-cbc', rounds: 8 });
  const stranger = parsableKeyPair();
  writeFileSync(join(dir, 'host_key'), host.private, { mode: 0o600 });
  writeFileSync(join(dir, 'authorized_keys'), `${user.public}\n${encrypted.public}\n`);
  const port = await freePort();
  const root = process.getuid?.() === 0;
  // sshd started by root insists on its privilege separation directory.
  if (root) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      'StrictModes no',
      'UsePAM no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  chmodSync(dir, 0o700);
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await accepting(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    username: userInfo().username,
    key: user.private,
    encryptedKey: encrypted.private,
    passphrase,
    strangerKey: stranger.private,
    hostKeyFingerprint: fingerprint(host.private),
    log: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
