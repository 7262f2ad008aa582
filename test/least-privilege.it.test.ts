import { Client } from 'pg';
import { clearSecrets } from '../src/log/redact';
import {
  lastState,
  parseMessages,
  records,
  selectStreams,
  type Message,
} from './support/catalog-helpers';
import { contractViolations, describeRun } from './support/output-contract';
import { runTap, tempFiles, type TapRun } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * Least privilege: a role with exactly CONNECT on the database, USAGE on the schema,
 * SELECT on the chosen tables and REPLICATION (the grants docs/security.md lists) runs every mode,
 * with a publication the administrator created. And every reader is a READ ONLY transaction: a
 * table whose row-level security policy tries to write (through a SECURITY DEFINER function) cannot
 * be read by any replication method, and nothing is written.
 */
const ROLE = 'tap_least_priv';
const PASSWORD = 'least-priv-pw-31c4';

describe('least privilege', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let config: string;
  let discovered: { streams: Array<{ tap_stream_id: string; metadata: never[] }> };

  const tap = async (argv: string[]): Promise<TapRun> => {
    clearSecrets();
    return runTap(argv);
  };
  const ok = async (argv: string[]): Promise<Message[]> => {
    const r = await tap(argv);
    if (contractViolations(r, { allowed: [0] }).length > 0) throw new Error(describeRun(r));
    return parseMessages(r.stdout);
  };
  const catalog = (sel: Parameters<typeof selectStreams>[1]) =>
    files.write(`catalog-${Math.random()}.json`, selectStreams(discovered, sel));

  beforeAll(async () => {
    db = await createTestDatabase('leastpriv');
    await db.query(`
      DROP ROLE IF EXISTS ${ROLE};
      CREATE ROLE ${ROLE} LOGIN REPLICATION PASSWORD '${PASSWORD}';
      REVOKE ALL ON DATABASE "${db.name}" FROM PUBLIC;
      REVOKE ALL ON SCHEMA public FROM PUBLIC;
      CREATE SCHEMA app;
      CREATE TABLE app.orders (id int PRIMARY KEY, amount numeric(12,2), updated_at timestamptz);
      INSERT INTO app.orders SELECT i, i * 1.5, '2024-01-01Z'::timestamptz + i * interval '1 hour'
        FROM generate_series(1, 20) i;
      CREATE TABLE app.private (id int PRIMARY KEY, secret text);
      INSERT INTO app.private VALUES (1, 'not for the tap');
      CREATE TABLE app.audit_log (at timestamptz DEFAULT now(), note text);
      CREATE FUNCTION app.audit_write() RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER AS
        $$ BEGIN INSERT INTO app.audit_log (note) VALUES ('read'); RETURN true; END $$;
      CREATE TABLE app.guarded (id int PRIMARY KEY, updated_at timestamptz);
      INSERT INTO app.guarded VALUES (1, '2024-01-01Z');
      ALTER TABLE app.guarded ENABLE ROW LEVEL SECURITY;
      CREATE POLICY every_read_writes ON app.guarded FOR SELECT USING (app.audit_write());
      CREATE PUBLICATION tap_postgres FOR TABLE app.orders, app.guarded;

      -- Exactly the grants docs/security.md lists.
      GRANT CONNECT ON DATABASE "${db.name}" TO ${ROLE};
      GRANT USAGE ON SCHEMA app TO ${ROLE};
      GRANT SELECT ON app.orders, app.guarded TO ${ROLE};
    `);
    config = files.write('config.json', {
      ...db.config,
      user: ROLE,
      password: PASSWORD,
      filter_schemas: 'app',
    });
    const r = await tap(['--config', config, '--discover']);
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    discovered = JSON.parse(r.stdout);
  });
  afterAll(async () => {
    await db.drop();
    const c = new Client({ connectionString: process.env.TAP_POSTGRES_TEST_ADMIN_URL });
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
    await c.end();
  });

  it('the role is what the test says: no superuser, no grant beyond the listed ones', async () => {
    const [r] = await db.query<Record<string, boolean>>(
      `SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication FROM pg_roles WHERE rolname = $1`,
      [ROLE],
    );
    expect(r).toEqual({
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolbypassrls: false,
      rolreplication: true,
    });
    const grants = await db.query<{ t: string; p: string }>(
      `SELECT table_schema || '.' || table_name AS t, privilege_type AS p
         FROM information_schema.role_table_grants WHERE grantee = $1 ORDER BY 1, 2`,
      [ROLE],
    );
    expect(grants).toEqual([
      { t: 'app.guarded', p: 'SELECT' },
      { t: 'app.orders', p: 'SELECT' },
    ]);
  });

  it('discovery lists the granted tables only', () => {
    expect(discovered.streams.map((s) => s.tap_stream_id).sort()).toEqual([
      'app-guarded',
      'app-orders',
    ]);
  });

  it('FULL_TABLE and INCREMENTAL', async () => {
    const full = await ok([
      '--config',
      config,
      '--catalog',
      catalog({ 'app-orders': { method: 'FULL_TABLE' } }),
    ]);
    expect(records(full)).toHaveLength(20);
    const k = catalog({ 'app-orders': { method: 'INCREMENTAL', replicationKey: 'updated_at' } });
    const first = await ok(['--config', config, '--catalog', k]);
    expect(records(first)).toHaveLength(20);
    const state = files.write('inc-state.json', lastState(first));
    const second = await ok(['--config', config, '--catalog', k, '--state', state]);
    expect(records(second).map((r) => r.id)).toEqual([20]);
  });

  it("LOG_BASED with the administrator's publication: copy, then changes", async () => {
    const k = catalog({ 'app-orders': { method: 'LOG_BASED' } });
    const first = await ok(['--config', config, '--catalog', k]);
    expect(records(first)).toHaveLength(20);
    await db.query(
      `UPDATE app.orders SET amount = 99.99 WHERE id = 3; DELETE FROM app.orders WHERE id = 4`,
    );
    const state = files.write('lb-state.json', lastState(first));
    const second = await ok(['--config', config, '--catalog', k, '--state', state]);
    expect(records(second).map((r) => [r.id, r.amount, r._sdc_deleted_at === null])).toEqual([
      [3, 99.99, true],
      [4, null, false],
    ]);
  });

  it('--check runs with these grants', async () => {
    const r = await tap([
      '--config',
      config,
      '--check',
      '--catalog',
      catalog({ 'app-orders': { method: 'LOG_BASED' } }),
    ]);
    // Until --check lands it says so (exit 2); once it does, these grants must be enough for it.
    if (/not implemented/.test(r.stderr)) expect(r.code).toBe(2);
    else
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  });

  it.each(['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'] as const)(
    '%s reads in a READ ONLY transaction: a read that would write fails and writes nothing',
    async (method) => {
      const k = catalog({
        'app-guarded': {
          method,
          ...(method === 'INCREMENTAL' ? { replicationKey: 'updated_at' } : {}),
        },
      });
      const r = await tap(['--config', config, '--catalog', k]);
      expect(contractViolations(r, { allowed: [1], committableOnFailure: true })).toEqual([]);
      expect(r.stderr).toMatch(/cannot execute INSERT in a read-only transaction/);
      expect(records(parseMessages(r.stdout))).toEqual([]);
      expect(await db.query('SELECT * FROM app.audit_log')).toEqual([]);
    },
  );

  it('the same policy does write when the read is not read-only (the proof above can fail)', async () => {
    const c = new Client({ ...db.config, database: db.name, user: ROLE, password: PASSWORD });
    await c.connect();
    try {
      await c.query('SELECT * FROM app.guarded');
    } finally {
      await c.end();
    }
    expect(await db.query('SELECT note FROM app.audit_log')).toEqual([{ note: 'read' }]);
    await db.query('TRUNCATE app.audit_log');
  });
});
