import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { parseMessages, records, selectStreams } from './support/catalog-helpers';
import { contractViolations } from './support/output-contract';
import { describeNeeding } from './support/requirements';
import { runTap, tempFiles, type TapRun } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * TLS, against the TLS-only server of test/support/tls-server.ts (certificate for
 * `localhost` only, signed by a CA made at test time). Its pg_hba.conf accepts nothing but TLS, so
 * every run that succeeds here went through TLS.
 */
function env(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(`${name} is not set: the TLS server starts in test/support/global-setup.ts`);
  return v;
}

describeNeeding('openssl')('TLS', () => {
  const files = tempFiles();
  const url = new URL(env('TAP_POSTGRES_TEST_TLS_URL'));
  const ca = env('TAP_POSTGRES_TEST_TLS_CA');
  const wrongCa = env('TAP_POSTGRES_TEST_TLS_WRONG_CA');
  const base = {
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    dbname: 'tls_db',
    filter_schemas: 'public',
  };
  let catalogFile: string;

  const config = (patch: Record<string, unknown>) =>
    files.write(`config-${Math.random()}.json`, { ...base, ...patch });
  const discover = (patch: Record<string, unknown>) =>
    runTap(['--config', config(patch), '--discover']);
  const expectFailure = (r: TapRun, message: RegExp) => {
    expect(contractViolations(r, { allowed: [1] })).toEqual([]);
    expect(r.stdout).toBe('');
    expect(r.stderrLines.find((l) => l.startsWith('CRITICAL'))).toMatch(message);
  };

  beforeAll(async () => {
    const admin = new Client({
      connectionString: url.toString(),
      ssl: { rejectUnauthorized: false },
    });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS tls_db WITH (FORCE)');
    await admin.query('CREATE DATABASE tls_db');
    await admin.end();
    const db = new Client({
      host: '127.0.0.1',
      ...base,
      database: 'tls_db',
      ssl: { rejectUnauthorized: false },
    });
    await db.connect();
    await db.query(`CREATE TABLE public.secret_things (id int PRIMARY KEY, v text);
      INSERT INTO public.secret_things VALUES (1, 'over TLS');
      CREATE PUBLICATION tap_postgres FOR TABLE public.secret_things`);
    await db.end();
    const r = await discover({ host: 'localhost', sslmode: 'verify-full', ssl_ca: ca });
    expect(r.code).toBe(0);
    catalogFile = files.write(
      'catalog.json',
      selectStreams(JSON.parse(r.stdout), { 'public-secret_things': { method: 'FULL_TABLE' } }),
    );
  });

  it('the server refuses connections without TLS (so the successes below used it)', async () => {
    expectFailure(await discover({ host: 'localhost' }), /no encryption/);
  });

  it('verify-full with the right CA and a host the certificate names: discover and sync', async () => {
    const cfg = config({ host: 'localhost', sslmode: 'verify-full', ssl_ca: ca });
    const r = await runTap(['--config', cfg, '--catalog', catalogFile]);
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    expect(records(parseMessages(r.stdout))).toEqual([{ id: 1, v: 'over TLS' }]);
  });

  it('verify-full also verifies the replication connection (LOG_BASED first run)', async () => {
    const k = files.write(
      'lb.json',
      selectStreams(
        JSON.parse(
          (await discover({ host: 'localhost', sslmode: 'verify-full', ssl_ca: ca })).stdout,
        ),
        {
          'public-secret_things': { method: 'LOG_BASED' },
        },
      ),
    );
    const ok = await runTap([
      '--config',
      config({ host: 'localhost', sslmode: 'verify-full', ssl_ca: ca }),
      '--catalog',
      k,
    ]);
    expect(contractViolations(ok, { allowed: [0] })).toEqual([]);
    expect(records(parseMessages(ok.stdout))).toEqual([
      expect.objectContaining({ id: 1, v: 'over TLS', _sdc_deleted_at: null }),
    ]);
  });

  it('ssl_ca may be the PEM text itself', async () => {
    const r = await discover({
      host: 'localhost',
      sslmode: 'verify-full',
      ssl_ca: readFileSync(ca, 'utf8'),
    });
    expect(r.code).toBe(0);
  });

  it('verify-full with the wrong CA: exit 1, one line saying the certificate is not trusted', async () => {
    expectFailure(
      await discover({ host: 'localhost', sslmode: 'verify-full', ssl_ca: wrongCa }),
      /^CRITICAL cannot connect to PostgreSQL: the server's TLS certificate is not trusted \(\w+\): check that 'ssl_ca' is the CA that signed it$/,
    );
  });

  it('verify-full through a host name the certificate does not list (127.0.0.1): exit 1', async () => {
    expectFailure(
      await discover({ host: '127.0.0.1', sslmode: 'verify-full', ssl_ca: ca }),
      /^CRITICAL cannot connect to PostgreSQL: the server's TLS certificate does not name host '127.0.0.1' \(sslmode verify-full\)/,
    );
  });

  it('verify-ca checks the chain but not the host name', async () => {
    expect((await discover({ host: '127.0.0.1', sslmode: 'verify-ca', ssl_ca: ca })).code).toBe(0);
    expectFailure(
      await discover({ host: '127.0.0.1', sslmode: 'verify-ca', ssl_ca: wrongCa }),
      /TLS certificate is not trusted/,
    );
  });

  it('sslmode prefer uses TLS when the server offers it, and says nothing about falling back', async () => {
    const r = await runTap([
      '--config',
      config({ host: '127.0.0.1', sslmode: 'prefer', ssl_ca: wrongCa }),
      '--catalog',
      catalogFile,
    ]);
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    expect(records(parseMessages(r.stdout))).toEqual([{ id: 1, v: 'over TLS' }]);
    expect(r.stderr).not.toMatch(/sslmode prefer/);
  });

  it('sslmode allow: the plain connection is refused (hostssl only), so TLS is used', async () => {
    const r = await discover({ host: '127.0.0.1', sslmode: 'allow' });
    expect(r.code).toBe(0);
    expect(r.stderrLines.filter((l) => l.includes('sslmode allow'))).toEqual([
      expect.stringMatching(
        /^INFO sslmode allow: 127\.0\.0\.1:\d+ requires TLS; this run's connections use it$/,
      ),
    ]);
  });

  it('require (and ssl: true) encrypt but verify nothing: the wrong CA and host still connect', async () => {
    expect((await discover({ host: '127.0.0.1', sslmode: 'require', ssl_ca: wrongCa })).code).toBe(
      0,
    );
    expect((await discover({ host: '127.0.0.1', ssl: true })).code).toBe(0);
  });
});

describe('sslmode against a server without TLS', () => {
  const files = tempFiles();
  let db: TestDatabase;
  let catalogFile: string;
  const FALLBACK =
    /^WARN sslmode (prefer|allow): TLS is not available at [^ ]+:\d+; connected without it, so this run's connections are unencrypted$/;
  const config = (patch: Record<string, unknown>) =>
    files.write(`config-${Math.random()}.json`, { ...db.config, ...patch });
  const fallbackLines = (r: TapRun) => r.stderrLines.filter((l) => /sslmode|TLS/.test(l));

  beforeAll(async () => {
    db = await createTestDatabase('plain_tls');
    await db.query(`CREATE TABLE public.copied (id int PRIMARY KEY, v text);
      INSERT INTO public.copied VALUES (1, 'copied');
      CREATE TABLE public.streamed (id int PRIMARY KEY, v text);
      INSERT INTO public.streamed VALUES (1, 'streamed');
      CREATE PUBLICATION tap_postgres FOR TABLE public.streamed`);
    const r = await runTap(['--config', config({}), '--discover']);
    expect(r.code).toBe(0);
    catalogFile = files.write(
      'catalog.json',
      selectStreams(JSON.parse(r.stdout), {
        'public-copied': { method: 'FULL_TABLE' },
        'public-streamed': { method: 'LOG_BASED' },
      }),
    );
  });
  afterAll(async () => {
    await db.drop();
  });

  it.each(['prefer', 'allow'])(
    'sslmode %s connects without TLS to a server that has none (prefer says so, once)',
    async (sslmode) => {
      const r = await runTap(['--config', config({ sslmode }), '--discover']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).streams).toHaveLength(2);
      const lines = fallbackLines(r);
      if (sslmode === 'prefer') expect(lines).toEqual([expect.stringMatching(FALLBACK)]);
      // allow tries the plain connection first: it works, so there is nothing to say.
      else expect(lines).toEqual([]);
    },
  );

  it('sslmode prefer: a sync (COPY and the LOG_BASED replication connection) runs unencrypted', async () => {
    const r = await runTap(['--config', config({ sslmode: 'prefer' }), '--catalog', catalogFile]);
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    const msgs = parseMessages(r.stdout);
    expect(records(msgs, 'public-copied')).toEqual([{ id: 1, v: 'copied' }]);
    expect(records(msgs, 'public-streamed')).toEqual([
      expect.objectContaining({ id: 1, v: 'streamed' }),
    ]);
    expect(fallbackLines(r)).toEqual([expect.stringMatching(FALLBACK)]);
    expect(r.stderr).not.toContain(db.config.password);
  });

  it('sslmode require still fails, with one line saying the server does not accept TLS', async () => {
    const r = await runTap(['--config', config({ sslmode: 'require' }), '--discover']);
    expect(contractViolations(r, { allowed: [1] })).toEqual([]);
    expect(r.stdout).toBe('');
    expect(r.stderrLines.filter((l) => l.startsWith('CRITICAL'))).toEqual([
      expect.stringMatching(
        /^CRITICAL cannot connect to PostgreSQL: the server at [^ ]+:\d+ does not accept TLS connections \(sslmode require\): turn on ssl/,
      ),
    ]);
  });
});
