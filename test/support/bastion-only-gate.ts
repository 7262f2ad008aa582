import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP gate in front of PostgreSQL that lets in only connections made by an sshd process: the
 * database "reachable only through the bastion". At each accepted connection it finds, in
 * /proc, the process owning the peer's end (Linux only; the same user's processes are always
 * readable, and sshd's session process runs as the user the tests log in as) and closes the
 * connection unless that process is sshd.
 */
export interface BastionOnlyGate {
  readonly port: number;
  /** Connections let through (made by sshd) and refused (anyone else). */
  readonly counts: { admitted: number; refused: number };
  /** The sshd processes whose connections were let through. */
  readonly sshdPids: Set<number>;
  close(): Promise<void>;
}

const hexPort = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');

/** The socket inode of the TCP connection from `peerPort` to `localPort`, from /proc/net/tcp*. */
function peerInode(peerPort: number, localPort: number): string | undefined {
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (f[1]!.endsWith(`:${hexPort(peerPort)}`) && f[2]!.endsWith(`:${hexPort(localPort)}`)) {
        return f[9];
      }
    }
  }
  return undefined;
}

/** The process holding socket `inode`: its id and command name (comm). */
function ownerOf(inode: string): { pid: number; comm: string } | undefined {
  const link = `socket:[${inode}]`;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === link) {
          return { pid: Number(pid), comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() };
        }
      } catch {
        // The descriptor closed while looking.
      }
    }
  }
  return undefined;
}

export async function startBastionOnlyGate(
  targetHost: string,
  targetPort: number,
): Promise<BastionOnlyGate> {
  const counts = { admitted: 0, refused: 0 };
  const sshdPids = new Set<number>();
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    const inode = peerInode(socket.remotePort ?? 0, port);
    const owner = inode === undefined ? undefined : ownerOf(inode);
    if (!owner || !/^sshd/.test(owner.comm)) {
      counts.refused += 1;
      socket.destroy();
      return;
    }
    counts.admitted += 1;
    sshdPids.add(owner.pid);
    const upstream = connect(targetPort, targetHost);
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      socket.destroy();
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    counts,
    sshdPids,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
