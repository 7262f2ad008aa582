import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Client as SshClient, type ClientChannel } from 'ssh2';
import type { HostPort } from '../config/hosts';
import type { SshTunnelOptions, TapConfig } from '../config/tap-config';
import { InputError, RuntimeError } from '../errors';
import type { Logger } from '../log/logger';

/** How long the bastion may take to answer and accept the key, so an unreachable one fails. */
export const SSH_READY_TIMEOUT_MS = 20_000;
/** Keepalives every 10 s, 3 unanswered: a bastion that vanished is noticed within about 40 s. */
const KEEPALIVE_MS = 10_000;
const KEEPALIVE_MAX = 3;

/** `SHA256:…` as ssh-keygen -l prints a host key. */
export function keyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

type SshError = Error & { level?: string; code?: string };

/** One line that says what to check; config mistakes (key, user) exit 2, the network 1. */
function describeSshError(
  o: SshTunnelOptions,
  e: SshError,
  seenKey: string | undefined,
  readyTimeoutMs: number,
): Error {
  const where = `${o.host}:${o.port}`;
  if (
    o.hostKeyFingerprint !== undefined &&
    seenKey !== undefined &&
    seenKey !== o.hostKeyFingerprint
  ) {
    return new InputError(
      `ssh_tunnel: the host key of ${where} is ${seenKey}, not ssh_tunnel.host_key_fingerprint ${o.hostKeyFingerprint}: refusing to connect`,
    );
  }
  if (e.level === 'client-authentication') {
    return new InputError(
      `ssh_tunnel: authentication failed for user '${o.username}' at ${where}: check ssh_tunnel.username and that the public key of ssh_tunnel.private_key is in the user's authorized_keys`,
    );
  }
  if (e.level === 'client-timeout') {
    return new RuntimeError(
      `ssh_tunnel: timed out connecting to ${where} after ${readyTimeoutMs / 1000} s`,
      'ETIMEDOUT',
    );
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return new RuntimeError(
        `ssh_tunnel: connection refused at ${where}: is an SSH server listening there?`,
        e.code,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RuntimeError(
        `ssh_tunnel: host '${o.host}' not found: check ssh_tunnel.host`,
        e.code,
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new RuntimeError(`ssh_tunnel: cannot reach ${where} (${e.code})`, e.code);
  }
  return new RuntimeError(`ssh_tunnel: cannot connect to ${where}: ${e.message}`, e.code);
}

/** Opens an authenticated SSH connection; rejects with a one-line TapError. */
function connectSsh(
  o: SshTunnelOptions,
  log: Pick<Logger, 'info'>,
  readyTimeoutMs: number,
): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    const ssh = new SshClient();
    let seenKey: string | undefined;
    const fail = (e: SshError) => {
      // The connection's own last words (e.g. "lost before handshake") would have no listener.
      ssh.on('error', () => {});
      ssh.end();
      reject(describeSshError(o, e, seenKey, readyTimeoutMs));
    };
    ssh.once('error', fail);
    ssh.once('ready', () => {
      ssh.off('error', fail);
      resolve(ssh);
    });
    ssh.connect({
      host: o.host,
      port: o.port,
      username: o.username,
      privateKey: o.privateKey,
      ...(o.passphrase !== undefined ? { passphrase: o.passphrase } : {}),
      readyTimeout: readyTimeoutMs,
      keepaliveInterval: KEEPALIVE_MS,
      keepaliveCountMax: KEEPALIVE_MAX,
      // The Meltano SDK's taps accept any host key (paramiko's AutoAddPolicy); so does this,
      // unless the config pins the key's fingerprint.
      hostVerifier: (key: Buffer) => {
        seenKey = keyFingerprint(key);
        if (o.hostKeyFingerprint === undefined) {
          log.info(`ssh_tunnel: ${o.host}:${o.port} has host key ${seenKey} (not pinned)`);
          return true;
        }
        return seenKey === o.hostKeyFingerprint;
      },
    });
  });
}

export interface SshTunnel {
  /** The config with every server of the host list replaced by a local end of the tunnel. */
  readonly config: TapConfig;
  /** Why the tunnel failed a connection (the SSH connection lost, the bastion refused), if it did. */
  problem(): string | undefined;
  close(): Promise<void>;
}

const key = (h: HostPort) => `${h.host}\u0000${h.port}`;

/**
 * An SSH connection to the bastion and, for each server of the host list, a listener on
 * 127.0.0.1 (a free port) whose every connection is forwarded through the bastion to that
 * server. The config's hosts become these listeners, so every connection of the run, whichever
 * thread or library opens it, goes through the bastion unchanged. A lost SSH connection breaks
 * every forwarded connection at once; the next connection opened (a retry's reconnect) opens a
 * new SSH connection first, or fails and leaves `problem()` to say why.
 */
export async function openSshTunnel(
  config: TapConfig,
  log: Logger,
  readyTimeoutMs = SSH_READY_TIMEOUT_MS,
): Promise<SshTunnel> {
  const o = config.sshTunnel;
  if (o === null) throw new Error('openSshTunnel: the config has no ssh_tunnel');
  const bastion = `${o.host}:${o.port}`;
  let ssh: SshClient | null = null;
  let connecting: Promise<SshClient> | null = null;
  let problem: string | undefined;
  /** Why the last SSH connection ended, until a new one is up. */
  let lost: string | undefined;
  let closed = false;
  let forwarded = 0;
  const sockets = new Set<Socket>();
  const servers: Server[] = [];

  const adopt = (client: SshClient) => {
    ssh = client;
    client.on('error', (e: Error) => {
      problem = `the SSH connection to ${bastion} failed: ${e.message}`;
    });
    client.on('close', () => {
      if (ssh === client) ssh = null;
      if (closed) return;
      problem ??= `the SSH connection to ${bastion} was closed`;
      lost = problem;
      log.warn(`ssh_tunnel: ${problem}; its ${sockets.size} forwarded connections are lost`);
      for (const s of sockets) s.destroy();
    });
  };
  adopt(await connectSsh(o, log, readyTimeoutMs));
  log.info(`ssh_tunnel: connected to ${bastion} as '${o.username}'`);

  const live = async (): Promise<SshClient> => {
    if (ssh) return ssh;
    connecting ??= connectSsh(o, log, readyTimeoutMs).finally(() => (connecting = null));
    const client = await connecting;
    if (ssh !== client) {
      adopt(client);
      problem = undefined;
      lost = undefined;
      log.warn(`ssh_tunnel: connected to ${bastion} again`);
    }
    return client;
  };

  const refuse = (socket: Socket, why: string) => {
    problem = why;
    socket.destroy();
  };

  const pipeThrough = (socket: Socket, target: HostPort, client: SshClient) => {
    const where = `${target.host}:${target.port}`;
    const opened = (err: Error | undefined, channel: ClientChannel) => {
      if (err) {
        return refuse(
          socket,
          `the bastion ${bastion} could not open a connection to ${where}: ${err.message}`,
        );
      }
      if (socket.destroyed) return void channel.close();
      // A working connection: an earlier refusal no longer explains what happens next.
      problem = undefined;
      forwarded += 1;
      log.debug(`ssh_tunnel: connection ${forwarded} forwarded to ${where} through ${bastion}`);
      channel.on('error', () => socket.destroy());
      channel.on('close', () => socket.destroy());
      socket.on('close', () => channel.close());
      socket.pipe(channel).pipe(socket);
    };
    try {
      client.forwardOut('127.0.0.1', socket.remotePort ?? 0, target.host, target.port, opened);
    } catch (e) {
      // ssh2 throws when the connection closed between live() and here.
      refuse(socket, `the SSH connection to ${bastion} was closed: ${(e as Error).message}`);
    }
  };

  const forward = (socket: Socket, target: HostPort) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    live().then(
      (client) => pipeThrough(socket, target, client),
      (e: unknown) => {
        const why = e instanceof Error ? e.message.replace(/^ssh_tunnel: /, '') : String(e);
        refuse(socket, lost === undefined ? why : `${lost}, and connecting again failed: ${why}`);
      },
    );
  };

  const listeners = new Map<string, number>();
  try {
    for (const h of config.hosts) {
      if (listeners.has(key(h))) continue;
      const server = createServer((socket) => forward(socket, h));
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no listener port');
      listeners.set(key(h), address.port);
    }
  } catch (e) {
    for (const s of servers) s.close();
    (ssh as SshClient | null)?.end();
    throw e;
  }

  const hosts = config.hosts.map((h) =>
    Object.freeze({ host: '127.0.0.1', port: listeners.get(key(h))!, remote: h }),
  );
  // The key stays here: the connections of this config (worker threads too) need only the ports.
  const tunnelled: TapConfig = Object.freeze({
    ...config,
    sshTunnel: null,
    hosts: Object.freeze(hosts),
    host: hosts[0]!.host,
    port: hosts[0]!.port,
    remote: hosts[0]!.remote,
  });

  return {
    config: tunnelled,
    problem: () => problem,
    async close() {
      closed = true;
      for (const s of sockets) s.destroy();
      await Promise.all(
        servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
      (ssh as SshClient | null)?.end();
      log.debug(`ssh_tunnel: closed (${forwarded} connections forwarded)`);
    },
  };
}

/**
 * Runs `fn` with the config every connection should use: through the SSH tunnel when the config
 * has one (closed when `fn` ends), else as given. A failure while the tunnel was broken says so.
 */
export async function withSshTunnel<T>(
  config: TapConfig,
  log: Logger,
  fn: (config: TapConfig) => Promise<T>,
): Promise<T> {
  if (config.sshTunnel === null) return fn(config);
  const tunnel = await openSshTunnel(config, log);
  try {
    return await fn(tunnel.config);
  } catch (e) {
    const problem = tunnel.problem();
    if (problem === undefined || e instanceof InputError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    const wrapped = new RuntimeError(`${message} (ssh_tunnel: ${problem})`);
    wrapped.cause = e;
    throw wrapped;
  } finally {
    await tunnel.close();
  }
}
