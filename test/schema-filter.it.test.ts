import { Client } from 'pg';
import { clearSecrets } from '../src/log/redact';
import { runTap, tempFiles, type TapRun } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

const ROLE = 'tap_schema_filter_reader';
const PASSWORD = 'Schema-Filter-Pw-41c2';

/**
 * filter_schemas naming a schema that gives no stream: discovery says why, one line per schema,
 * and says so when the catalog is empty, instead of printing an empty catalog without a word.
 */
describe('discovery with filter_schemas that match nothing', () => {
  let db: TestDatabase;
  const files = tempFiles();

  const discover = async (filter: string | null): Promise<TapRun> => {
    clearSecrets();
    const cfg = files.write(`config-${Math.random()}.json`, {
      ...db.config,
      user: ROLE,
      password: PASSWORD,
      ...(filter === null ? {} : { filter_schemas: filter }),
    });
    const r = await runTap(['--config', cfg, '--discover']);
    expect(r.code).toBe(0);
    return r;
  };
  const warnings = (r: TapRun) => r.stderrLines.filter((l) => l.startsWith('WARN'));
  const streamIds = (r: TapRun) =>
    (JSON.parse(r.stdout) as { streams: Array<{ tap_stream_id: string }> }).streams.map(
      (s) => s.tap_stream_id,
    );

  beforeAll(async () => {
    db = await createTestDatabase('schemafilter');
    await db.query(`
      DROP ROLE IF EXISTS ${ROLE};
      CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}';
      REVOKE ALL ON SCHEMA public FROM PUBLIC;
      CREATE SCHEMA "Sales";
      CREATE TABLE "Sales".orders (id int PRIMARY KEY);
      CREATE SCHEMA locked;
      CREATE TABLE locked.t (id int PRIMARY KEY);
      CREATE SCHEMA unreadable;
      CREATE TABLE unreadable.a (id int PRIMARY KEY);
      CREATE VIEW unreadable.b AS SELECT id FROM unreadable.a;
      CREATE SCHEMA empty;
      GRANT USAGE ON SCHEMA "Sales", unreadable, empty TO ${ROLE};
      GRANT SELECT ON "Sales".orders TO ${ROLE};
      GRANT SELECT ON locked.t TO ${ROLE};`);
  });
  afterAll(async () => {
    await db.drop();
    const c = new Client({ connectionString: process.env.TAP_POSTGRES_TEST_ADMIN_URL });
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
    await c.end();
  });

  it('a schema that does not exist: one line, with the name that differs only in case', async () => {
    const r = await discover('sales');
    expect(streamIds(r)).toEqual([]);
    expect(warnings(r)).toEqual([
      `WARN filter_schemas: schema 'sales' does not exist in database '${db.name}'; did you mean 'Sales'? (names are case-sensitive)`,
      `WARN no stream discovered: schemas 'sales' (filter_schemas) hold no table or view that role '${ROLE}' may read`,
    ]);
  });

  it('one line per schema that gives nothing, and none for the schema that gives streams', async () => {
    const r = await discover('Sales,nosuch,unreadable,empty');
    expect(streamIds(r)).toEqual(['Sales-orders']);
    expect(warnings(r)).toEqual([
      `WARN filter_schemas: schema 'nosuch' does not exist in database '${db.name}'`,
      `WARN filter_schemas: role '${ROLE}' may SELECT none of the 2 tables and views in schema 'unreadable'`,
      `WARN filter_schemas: schema 'empty' has no tables or views`,
    ]);
  });

  it('a schema the role may not use (no USAGE): its table is not offered though the role may SELECT it', async () => {
    const r = await discover('locked');
    expect(streamIds(r)).toEqual([]);
    expect(warnings(r)).toContain(
      `WARN filter_schemas: role '${ROLE}' has no USAGE privilege on schema 'locked', so none of its tables can be read or discovered`,
    );
  });

  it('no filter and nothing readable: says the catalog is empty', async () => {
    await db.query(`REVOKE SELECT ON "Sales".orders, locked.t FROM ${ROLE}`);
    try {
      const r = await discover(null);
      expect(streamIds(r)).toEqual([]);
      expect(warnings(r)).toEqual([
        `WARN no stream discovered: database '${db.name}' holds no table or view that role '${ROLE}' may read`,
      ]);
    } finally {
      await db.query(`GRANT SELECT ON "Sales".orders, locked.t TO ${ROLE}`);
    }
  });
});
