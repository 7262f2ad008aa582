import { lastState, replay, type Message } from './support/catalog-helpers';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';

const of = (msgs: Message[], stream = 'public-evolve') =>
  msgs.filter((m) => m.stream === stream && (m.type === 'SCHEMA' || m.type === 'RECORD'));

/**
 * ALTER TABLE while streaming: each Relation message is authoritative. An added column gets a new
 * SCHEMA before the first record that has it, a dropped one stops appearing, a type change the
 * JSON type absorbs sends the SCHEMA again, and any other fails with "resync this stream".
 */
describe('LOG_BASED schema changes mid-stream', () => {
  let f: LogBasedFixture;
  let first: Message[];
  let second: Message[];

  beforeAll(async () => {
    f = await logBasedFixture(
      'schemachg',
      `CREATE TABLE evolve (id int PRIMARY KEY, a int4, v varchar(10), gone text, hidden text);
       INSERT INTO evolve VALUES (1, 1, 'one', 'g1', 'h'), (2, 2, 'two', 'g2', 'h');
       CREATE PUBLICATION tap_postgres FOR TABLE evolve;`,
    );
    await f.select({ 'public-evolve': { deselect: ['hidden'] } });
    const r = await f.run();
    expect(r.code).toBe(0);
    first = r.msgs;
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('ADD, DROP and widening type changes: SCHEMA first, then records of the new shape; the replay equals the source', async () => {
    await f.db.query(`INSERT INTO evolve VALUES (3, 3, 'three', 'g3', 'h')`);
    await f.db.query(`ALTER TABLE evolve ADD COLUMN extra numeric(8,2)`);
    await f.db.query(`INSERT INTO evolve VALUES (4, 4, 'four', 'g4', 'h', 1.50)`);
    await f.db.query(`UPDATE evolve SET extra = 2 WHERE id = 1`);
    await f.db.query(`ALTER TABLE evolve DROP COLUMN gone`);
    await f.db.query(`INSERT INTO evolve VALUES (5, 5, 'five', 'h', 5)`);
    await f.db.query(`ALTER TABLE evolve ALTER COLUMN a TYPE int8`);
    await f.db.query(`INSERT INTO evolve VALUES (6, 3000000000, 'six', 'h', 6)`);
    await f.db.query(`ALTER TABLE evolve ALTER COLUMN v TYPE text`);
    await f.db.query(`INSERT INTO evolve VALUES (7, 7, 'seven is longer than ten', 'h', 7)`);
    // What the change stream carries is the subject here: a state that records the columns'
    // types (column_types) would have the table copied again for the ALTER … TYPE before
    // streaming (log-based-between-runs.it.test.ts), so this one is an older tap's, without them.
    const s = lastState(first)!;
    const { column_types: _t, ...older } = s.bookmarks['public-evolve']!;
    const r = await f.run({ ...s, bookmarks: { ...s.bookmarks, 'public-evolve': older } });
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    second = r.msgs;
    const seq = of(second).map((m) =>
      m.type === 'SCHEMA'
        ? `SCHEMA ${Object.keys((m.schema as { properties: object }).properties).join(',')}`
        : `${m.record!.id} ${Object.keys(m.record!).join(',')}`,
    );
    const sdc = '_sdc_lsn,_sdc_deleted_at';
    // The run starts with the table's live columns and types (extra; int8, text), which hold the
    // older changes' values (int4, varchar(10)) too: one SCHEMA; each record has its change's
    // columns.
    expect(seq).toEqual([
      `SCHEMA id,a,v,gone,extra,${sdc}`,
      `3 id,a,v,gone,${sdc}`,
      `4 id,a,v,gone,extra,${sdc}`,
      `1 id,a,v,gone,extra,${sdc}`,
      // dropped: stays in the schema, stops appearing in records
      `5 id,a,v,extra,${sdc}`,
      `6 id,a,v,extra,${sdc}`,
      `7 id,a,v,extra,${sdc}`,
    ]);
    const schemas = of(second)
      .filter((m) => m.type === 'SCHEMA')
      .map((m) => (m.schema as { properties: Record<string, Record<string, unknown>> }).properties);
    expect(schemas[0]!.a).toEqual({ type: ['null', 'integer'] }); // int8: no bounds
    expect(schemas[0]!.v).toEqual({ type: ['null', 'string'] });
    expect(schemas[0]!.extra).toEqual({ type: ['null', 'number'], multipleOf: 0.01 });
    expect(schemas.every((s) => s.gone && !s.hidden)).toBe(true);
    // exact values in the new types
    expect(r.stdout).toContain('"id":6,"a":3000000000,');
    expect(r.stdout).toContain('"id":4,"a":4,"v":"four","gone":"g4","extra":1.50,');

    // A target applying the records holds the source: missing fields are null, as targets set them.
    const source = await f.db.query<Record<string, unknown>>(
      `SELECT id, a::text AS a, v, extra::text AS extra FROM evolve ORDER BY id`,
    );
    const held = [...replay([...first, ...second], 'id').values()]
      .map((row) => ({
        id: row.id,
        a: row.a === undefined ? null : String(row.a),
        v: row.v ?? null,
        extra: row.extra === undefined || row.extra === null ? null : Number(row.extra).toFixed(2),
      }))
      .sort((x, y) => (x.id as number) - (y.id as number));
    expect(held).toEqual(source);
  });

  it('a type change JSON cannot absorb copies the table again under a new version, after the records of what came before', async () => {
    await f.db.query(`INSERT INTO evolve VALUES (8, 8, 'eight', 'h', 8)`);
    await f.db.query(`ALTER TABLE evolve ALTER COLUMN a TYPE text`);
    await f.db.query(`INSERT INTO evolve VALUES (9, 'nine', 'nine', 'h', 9)`);
    const r = await f.run(lastState(second));
    expect(r.stderr).not.toMatch(/CRITICAL/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /public-evolve: column 'a' changed type since the last run \(JSON integer, now string\): the target's values are in the old type: the table is copied again under a new version/,
    );
    const versions = r.msgs.filter((m) => m.type === 'ACTIVATE_VERSION');
    expect(versions).toHaveLength(1);
    // The bookmark's column kinds tell the run before any change does; the copy has row 8 too.
    const copyAt = r.msgs.findIndex((m) => m.type === 'ACTIVATE_VERSION');
    const lastSchema = [...r.msgs.slice(0, copyAt)].reverse().find((m) => m.type === 'SCHEMA')!;
    expect((lastSchema.schema as { properties: Record<string, unknown> }).properties.a).toEqual({
      type: ['null', 'string'],
    });
    const held = replay([...first, ...second, ...r.msgs], 'id');
    expect(
      [...held.values()]
        .map((row) => [row.id, row.a])
        .sort((x, y) => (x[0] as number) - (y[0] as number)),
    ).toEqual([
      [1, '1'],
      [2, '2'],
      [3, '3'],
      [4, '4'],
      [5, '5'],
      [6, '3000000000'],
      [7, '7'],
      [8, '8'],
      [9, 'nine'],
    ]);
    // The next run continues from the copy: nothing again, nothing lost.
    await f.db.query(`INSERT INTO evolve VALUES (10, 'ten', 'ten', 'h', 10)`);
    const next = await f.run(lastState(r.msgs));
    expect(next.code).toBe(0);
    expect(next.msgs.filter((m) => m.type === 'RECORD').map((m) => m.record!.id)).toEqual([10]);
  });
});
