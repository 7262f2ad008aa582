import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { parseMessages, records, selectStreams } from './support/catalog-helpers';
import { contractViolations } from './support/output-contract';
import { describeNeeding } from './support/requirements';
import { runTap, tempFiles, type TapRun } from './support/run-tap';

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

  it('require (and ssl: true) encrypt but verify nothing: the wrong CA and host still connect', async () => {
    expect((await discover({ host: '127.0.0.1', sslmode: 'require', ssl_ca: wrongCa })).code).toBe(
      0,
    );
    expect((await discover({ host: '127.0.0.1', ssl: true })).code).toBe(0);
  });
});
