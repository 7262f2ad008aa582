import { createServer, type Server } from 'node:net';
import { Client } from 'pg';
import { normalizeConfig } from '../src/config/normalize-config';
import { openSshTunnel } from '../src/db/ssh-tunnel';
import { clientConfig } from '../src/db/connect';
import { createLogger } from '../src/log/logger';
import { startBastionOnlyGate, type BastionOnlyGate } from './support/bastion-only-gate';
import { lastState, parseMessages, records, selectStreams } from './support/catalog-helpers';
import { describeNeeding, lacking } from './support/requirements';
import { runTap, spawnTap, tempFiles, type TapRun } from './support/run-tap';
import { startSshd, type Sshd } from './support/sshd';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/*
 * Every connection through a real OpenSSH bastion. PostgreSQL sits behind a gate that admits
 * only connections made by an sshd process, so a run that succeeds cannot have gone around the
 * tunnel; the tap's debug lines count the forwarded connections, and the gate counts the same.
 */
describeNeeding('sshd')('ssh_tunnel through a real sshd', () => {
  let db: TestDatabase;
  let sshd: Sshd;
  let gate: BastionOnlyGate;
  const files = tempFiles();
  const ROWS = 16_000;
  let catalog: Record<string, unknown>;

  const tunnel = (over: Record<string, unknown> = {}) => ({
    enable: true,
    host: '127.0.0.1',
    port: sshd.port,
    username: sshd.username,
    private_key: sshd.key,
    ...over,
  });
  /** The database as the bastion sees it: the gate's port. */
  const config = (over: Record<string, unknown> = {}) =>
    files.write(`config-${Math.random()}.json`, {
      ...db.config,
      host: '127.0.0.1',
      port: gate.port,
      ssh_tunnel: tunnel(),
      logical_poll_total_seconds: 3,
      ...over,
    });
  const forwarded = (r: TapRun) =>
    r.stderrLines.filter((l) =>
      /^DEBUG ssh_tunnel: connection \d+ forwarded to 127\.0\.0\.1:/.test(l),
    ).length;
  const noSecrets = (r: TapRun) => {
    for (const secret of [sshd.key, sshd.encryptedKey, sshd.strangerKey]) {
      for (const line of secret.split('\n').filter((l) => l.length >= 16))
        expect(r.stderr).not.toContain(line);
    }
    expect(r.stderr).not.toContain(sshd.passphrase);
    expect(r.stderr).not.toContain(db.config.password);
  };

  beforeAll(async () => {
    db = await createTestDatabase('sshtunnel');
    await db.query(`
      CREATE TABLE items (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL);
      INSERT INTO items SELECT i, 'item ' || i, TIMESTAMPTZ '2024-01-01' + i * interval '1 hour'
        FROM generate_series(1, 50) i;
      CREATE TABLE big (id int PRIMARY KEY, pad text) WITH (fillfactor = 10);
      INSERT INTO big SELECT i, repeat(md5(i::text), 3) FROM generate_series(1, ${ROWS}) i;
      CREATE PUBLICATION tap_postgres FOR TABLE items;
    `);
    sshd = await startSshd();
    gate = await startBastionOnlyGate(db.config.host, db.config.port);
    const disc = await runTap(['--config', config(), '--discover', '--log-level', 'debug']);
    if (disc.code !== 0) {
      // Everything that could say why, for a failure no one can run again.
      throw new Error(
        `discovery through the tunnel failed (exit ${disc.code}); gate ${JSON.stringify(gate.counts)}\n--- tap stderr\n${disc.stderr}\n--- sshd log\n${sshd.log()}`,
      );
    }
    catalog = JSON.parse(disc.stdout) as Record<string, unknown>;
  });
  afterAll(async () => {
    await gate?.close();
    await sshd?.stop();
    await db?.drop();
  });

  it('the database is out of reach without the tunnel', async () => {
    const refused = gate.counts.refused;
    const r = await runTap(['--config', config({ ssh_tunnel: { enable: false } }), '--discover']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(gate.counts.refused).toBeGreaterThan(refused);
  });

  it('discovers, syncs FULL_TABLE and INCREMENTAL through the bastion', async () => {
    const admitted = gate.counts.admitted;
    const disc = await runTap(['--config', config(), '--discover', '--log-level', 'debug']);
    expect(disc.stderr).not.toMatch(/CRITICAL|WARN/);
    expect(disc.code).toBe(0);
    expect(JSON.parse(disc.stdout)).toEqual(catalog);
    expect(disc.stderr).toContain(
      `INFO ssh_tunnel: 127.0.0.1:${sshd.port} has host key ${sshd.hostKeyFingerprint} (not pinned)`,
    );
    expect(forwarded(disc)).toBeGreaterThanOrEqual(1);
    const sel = files.write(
      'ft-inc.json',
      selectStreams(catalog as never, {
        'public-items': { method: 'INCREMENTAL', replicationKey: 'updated_at' },
        'public-big': { method: 'FULL_TABLE' },
      }),
    );
    const sync = await runTap(['--config', config(), '--catalog', sel, '--log-level', 'debug']);
    expect(sync.stderr).not.toMatch(/CRITICAL|WARN/);
    expect(sync.code).toBe(0);
    const msgs = parseMessages(sync.stdout);
    const recs = records(msgs);
    expect(recs.filter((r) => r.name !== undefined)).toHaveLength(50);
    expect(recs).toHaveLength(50 + ROWS);
    expect(String(lastState(msgs)!.bookmarks['public-items']!.replication_key_value)).toMatch(
      /^2024-01-03T02:00:00/,
    );
    // Every connection the tap opened reached PostgreSQL through sshd, and only those.
    expect(gate.counts.admitted - admitted).toBe(forwarded(disc) + forwarded(sync));
    noSecrets(sync);
  });

  it('LOG_BASED: copies, then streams the changes made since, through the bastion', async () => {
    const sel = files.write(
      'lb.json',
      selectStreams(catalog as never, { 'public-items': { method: 'LOG_BASED' } }),
    );
    const cfg = config();
    const first = await runTap(['--config', cfg, '--catalog', sel]);
    expect(first.stderr).not.toMatch(/CRITICAL/);
    expect(first.code).toBe(0);
    const firstMsgs = parseMessages(first.stdout);
    expect(records(firstMsgs)).toHaveLength(50);
    const copied = lastState(firstMsgs)!.bookmarks['public-items']!.lsn as number;
    expect(copied).toBeGreaterThan(0);
    await db.query(`INSERT INTO items VALUES (51, 'new', now()); DELETE FROM items WHERE id = 1`);
    const second = await runTap([
      '--config',
      cfg,
      '--catalog',
      sel,
      '--state',
      files.write('lb-state.json', lastState(firstMsgs)),
      '--log-level',
      'debug',
    ]);
    expect(second.code).toBe(0);
    const recs = records(parseMessages(second.stdout));
    expect(recs.map((r) => [r.id, r._sdc_deleted_at === null])).toEqual([
      [51, true],
      [1, false],
    ]);
    const resumed = lastState(parseMessages(second.stdout))!.bookmarks['public-items']!
      .lsn as number;
    expect(resumed).toBeGreaterThan(copied);
    // The slot was confirmed up to the incoming state, over the replication connection.
    const [slot] = await db.query<{ lsn: string }>(
      `SELECT (confirmed_flush_lsn - '0/0')::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
      [`tap_postgres_${db.name}`],
    );
    expect(Number(slot!.lsn)).toBe(copied);
    // The walsender connection went through the tunnel too: a run needs at least two.
    expect(forwarded(second)).toBeGreaterThanOrEqual(2);
  });

  it('parallel copy: the worker threads connect through the bastion', async () => {
    const sel = files.write(
      'big.json',
      selectStreams(catalog as never, { 'public-big': { method: 'FULL_TABLE' } }),
    );
    const admitted = gate.counts.admitted;
    const r = await spawnTap([
      '--config',
      config({ snapshot_parallelism: 2 }),
      '--catalog',
      sel,
      '--log-level',
      'debug',
    ]);
    expect(r.stderr).not.toMatch(/CRITICAL|WARN/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/copying in 2 CTID ranges over 2 connections/);
    const ids = records(parseMessages(r.stdout)).map((x) => x.id as number);
    expect(new Set(ids).size).toBe(ROWS);
    expect(ids).toHaveLength(ROWS);
    // The main connection and the two workers' at least.
    expect(forwarded(r)).toBeGreaterThanOrEqual(3);
    expect(gate.counts.admitted - admitted).toBe(forwarded(r));
  });

  it('a host list: each server through the bastion, the first unreachable one skipped', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const r = await runTap([
      '--config',
      config({ host: '127.0.0.1,127.0.0.1', port: `${closed},${gate.port}` }),
      '--discover',
    ]);
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(r.stderrLines).toContain(
      `INFO connected to 127.0.0.1:${gate.port}, the primary (target_session_attrs read-write)`,
    );
  });

  it('--check goes through the bastion', async () => {
    const r = await runTap(['--config', config(), '--check']);
    expect(r.stderr).toContain(`connection (127.0.0.1:${gate.port}, database '${db.name}'`);
    expect(r.code).toBe(0);
  });

  it('an encrypted key with its passphrase, a pinned host key', async () => {
    const r = await runTap([
      '--config',
      config({
        ssh_tunnel: tunnel({
          private_key: sshd.encryptedKey,
          private_key_password: sshd.passphrase,
          host_key_fingerprint: sshd.hostKeyFingerprint,
        }),
      }),
      '--discover',
    ]);
    expect(r.stderr).not.toMatch(/CRITICAL|not pinned/);
    expect(r.code).toBe(0);
    noSecrets(r);
  });

  it.each<[string, () => Record<string, unknown>, number, RegExp]>([
    [
      'a key the bastion does not accept',
      () => tunnel({ private_key: sshd.strangerKey }),
      2,
      /^CRITICAL ssh_tunnel: authentication failed for user '[^']+' at 127\.0\.0\.1:\d+: /,
    ],
    [
      'an encrypted key without its passphrase',
      () => tunnel({ private_key: sshd.encryptedKey }),
      2,
      /^CRITICAL config \(.*\): ssh_tunnel: private_key is encrypted: set ssh_tunnel\.private_key_password$/,
    ],
    [
      'a wrong passphrase',
      () => tunnel({ private_key: sshd.encryptedKey, private_key_password: 'not it at all' }),
      2,
      /^CRITICAL config \(.*\): ssh_tunnel: private_key_password does not decrypt private_key \(bad passphrase\)$/,
    ],
    [
      'another host key than the pinned one',
      () => tunnel({ host_key_fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
      2,
      /^CRITICAL ssh_tunnel: the host key of 127\.0\.0\.1:\d+ is SHA256:\S+, not ssh_tunnel\.host_key_fingerprint SHA256:A+: refusing to connect$/,
    ],
  ])('%s: one line, its exit code, nothing on stdout', async (_, ssh, code, message) => {
    const r = await runTap(['--config', config({ ssh_tunnel: ssh() }), '--discover']);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    const critical = r.stderrLines.filter((l) => l.startsWith('CRITICAL'));
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatch(message);
    noSecrets(r);
  });

  it('a bastion port nobody listens on: refused, at once', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const started = Date.now();
    const r = await runTap([
      '--config',
      config({ ssh_tunnel: tunnel({ port: closed }) }),
      '--discover',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderrLines.filter((l) => l.startsWith('CRITICAL'))).toEqual([
      `CRITICAL ssh_tunnel: connection refused at 127.0.0.1:${closed}: is an SSH server listening there?`,
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a database the bastion cannot reach: exit 1, one line naming the bastion and the database', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const r = await runTap(['--config', config({ port: closed }), '--discover']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const critical = r.stderrLines.filter((l) => l.startsWith('CRITICAL'));
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatch(
      new RegExp(
        `^CRITICAL cannot connect to PostgreSQL: .* \\(ssh_tunnel: the bastion 127\\.0\\.0\\.1:${sshd.port} could not open a connection to 127\\.0\\.0\\.1:${closed}: .+\\)$`,
      ),
    );
  });

  it('a bastion that never answers: a bounded timeout', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as { port: number }).port;
    const c = normalizeConfig({
      ...db.config,
      host: '127.0.0.1',
      port: gate.port,
      ssh_tunnel: tunnel({ port }),
    });
    const started = Date.now();
    try {
      await expect(
        openSshTunnel(
          c,
          createLogger(() => {}),
          1_000,
        ),
      ).rejects.toThrow(`ssh_tunnel: timed out connecting to 127.0.0.1:${port} after 1 s`);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      silent.close();
    }
  });

  it('a lost SSH connection breaks its connections; the next one goes through a new SSH connection', async () => {
    const lines: string[] = [];
    const c = normalizeConfig({
      ...db.config,
      host: '127.0.0.1',
      port: gate.port,
      ssh_tunnel: tunnel(),
    });
    const t = await openSshTunnel(
      c,
      createLogger((l) => lines.push(l), 'debug'),
    );
    try {
      const before = new Set(gate.sshdPids);
      const a = new Client(clientConfig(t.config));
      a.on('error', () => {});
      await a.connect();
      await a.query('SELECT 1');
      // The sshd session process of this tunnel: the one that made a's connection.
      const session = [...gate.sshdPids].filter((p) => !before.has(p));
      expect(session).toHaveLength(1);
      process.kill(session[0]!, 'SIGKILL');
      await expect(a.query('SELECT pg_sleep(0.5)')).rejects.toThrow();
      await a.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
      expect(t.problem()).toMatch(
        /^the SSH connection to 127\.0\.0\.1:\d+ (was closed|failed: read ECONNRESET)$/,
      );
      const b = new Client(clientConfig(t.config));
      b.on('error', () => {});
      await b.connect();
      expect((await b.query<{ one: string }>('SELECT 1 AS one')).rows).toEqual([{ one: '1' }]);
      await b.end();
      expect(lines).toContain(`WARN ssh_tunnel: connected to 127.0.0.1:${sshd.port} again`);
      expect(t.problem()).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('the bastion gone mid-run: the run fails saying so, after its reconnect finds no bastion', async () => {
    const own = await startSshd();
    try {
      const sel = files.write(
        'lb-wait.json',
        selectStreams(catalog as never, { 'public-items': { method: 'LOG_BASED' } }),
      );
      const cfg = config({
        ssh_tunnel: {
          enable: true,
          host: '127.0.0.1',
          port: own.port,
          username: own.username,
          private_key: own.key,
        },
        break_at_end_lsn: false,
        logical_poll_total_seconds: 60,
        connection_retries: 1,
        retry_backoff_seconds: 0.1,
      });
      const before = new Set(gate.sshdPids);
      const run = runTap(['--config', cfg, '--catalog', sel]);
      // Streaming has begun once the walsender's connection came through a new sshd session.
      const deadline = Date.now() + 20_000;
      while ([...gate.sshdPids].filter((p) => !before.has(p)).length === 0) {
        if (Date.now() > deadline) throw new Error('the run never connected');
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 1_500));
      const started = Date.now();
      await own.stop();
      for (const pid of [...gate.sshdPids].filter((p) => !before.has(p))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      const r = await run;
      expect(r.code).toBe(1);
      const critical = r.stderrLines.filter((l) => l.startsWith('CRITICAL'));
      expect(critical).toHaveLength(1);
      expect(critical[0]).toMatch(
        new RegExp(
          `\\(ssh_tunnel: the SSH connection to 127\\.0\\.0\\.1:${own.port} (was closed|failed: [^,]+), and connecting again failed: connection refused at 127\\.0\\.0\\.1:${own.port}: is an SSH server listening there\\?\\)$`,
        ),
      );
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await own.stop();
    }
  });

  // The TLS server's certificate names `localhost` only (test/support/tls-server.ts).
  (lacking('openssl') ? it.skip : it)(
    "TLS through the tunnel verifies the server's own name (verify-full), not the tunnel's end",
    async () => {
      const u = new URL(process.env.TAP_POSTGRES_TEST_TLS_URL!);
      const tls = (host: string) =>
        files.write(`tls-${host}.json`, {
          host,
          port: Number(u.port),
          user: decodeURIComponent(u.username),
          password: decodeURIComponent(u.password),
          dbname: 'postgres',
          sslmode: 'verify-full',
          ssl_ca: process.env.TAP_POSTGRES_TEST_TLS_CA,
          ssh_tunnel: tunnel(),
        });
      const ok = await runTap(['--config', tls('localhost'), '--discover']);
      expect(ok.stderr).not.toMatch(/CRITICAL/);
      expect(ok.code).toBe(0);
      const wrongName = await runTap(['--config', tls('127.0.0.1'), '--discover']);
      expect(wrongName.code).toBe(1);
      expect(wrongName.stderrLines.filter((l) => l.startsWith('CRITICAL'))[0]).toMatch(
        /^CRITICAL cannot connect to PostgreSQL: the server's TLS certificate does not name host '127\.0\.0\.1' \(sslmode verify-full\)/,
      );
    },
  );
});
