import { createHash } from 'node:crypto';
import Decimal from 'decimal.js';
import fc from 'fast-check';
import {
  LosslessNumber,
  parse as losslessParse,
  stringify as losslessStringify,
} from 'lossless-json';
import { lastState, records, type Message } from './support/catalog-helpers';
import { logBasedFixture, type LogBasedFixture } from './support/log-based-fixture';
import { contractViolations, describeRun } from './support/output-contract';
import { recordSchemaErrors } from './support/record-schemas';

/**
 * Stream maps (Meltano SDK semantics) applied inside the tap, for every replication method: the
 * mapped SCHEMA and RECORDs, columns no output needs never read, bookmarks unchanged by maps, and
 * config errors before any output.
 */
describe('stream maps', () => {
  let f: LogBasedFixture;
  const ok = async (maps: unknown, state?: unknown, extra: Record<string, unknown> = {}) => {
    const r = await f.run(state, { stream_maps: maps, state_interval_seconds: 0, ...extra });
    if (contractViolations(r, { allowed: [0] }).length > 0) throw new Error(describeRun(r));
    expect(recordSchemaErrors(r.msgs)).toEqual([]);
    return r;
  };
  const schemaOf = (msgs: Message[], stream: string) =>
    msgs.find((m) => m.type === 'SCHEMA' && m.stream === stream);
  const streamsOf = (msgs: Message[], type: string) => [
    ...new Set(msgs.filter((m) => m.type === type).map((m) => m.stream)),
  ];

  beforeAll(async () => {
    f = await logBasedFixture(
      'maps',
      `CREATE TABLE users (id int PRIMARY KEY, email text, name text, score numeric(20,4),
                           note text, active boolean, updated_at timestamptz NOT NULL);
       INSERT INTO users SELECT i, 'user' || i || '@example.org', 'Name "' || i || '" ü',
              i * 1.5, 'note ' || i, i % 2 = 0, TIMESTAMPTZ '2024-01-01Z' + i * interval '1 hour'
         FROM generate_series(1, 6) i;
       CREATE TABLE other (id int PRIMARY KEY, v text);
       CREATE TABLE nokey (v text, w text);
       INSERT INTO nokey VALUES ('a', 'b'), ('c', 'd');
       INSERT INTO other VALUES (1, 'a'), (2, 'b');
       CREATE PUBLICATION tap_postgres FOR TABLE users, other, nokey;`,
    );
    await f.select({
      'public-users': { method: 'FULL_TABLE' },
      'public-other': { method: 'FULL_TABLE' },
    });
  });
  afterAll(async () => {
    await f.db.drop();
  });

  it('FULL_TABLE: rename, remove, a constant and a filter give the mapped SCHEMA and RECORDs', async () => {
    const r = await ok({
      'public-users': {
        mail: 'email',
        email: null,
        note: '__NULL__',
        source: "'crm'",
        __filter__: 'active',
      },
    });
    const hashed = await ok({
      'public-users': {
        email: 'md5(email)',
        name: 'name.upper()',
        rank: 'int(id * 10 + 1)',
        score: 'score * 2',
        note: null,
        __filter__: 'score > 4',
      },
    });
    expect(records(hashed.msgs, 'public-users')[0]).toEqual({
      id: 3,
      email: createHash('md5').update('user3@example.org').digest('hex'),
      name: 'NAME "3" Ü',
      score: 9,
      active: false,
      updated_at: '2024-01-01T03:00:00+00:00',
      rank: 31,
    });
    // Decimal arithmetic keeps every digit: 4.5000 * 2.
    expect(hashed.stdout).toContain('"score":9.0000,');
    expect(schemaOf(hashed.msgs, 'public-users')!.schema!.properties).toMatchObject({
      email: { type: ['null', 'string'] },
      rank: { type: ['integer', 'null'] },
    });
    const schema = schemaOf(r.msgs, 'public-users')!;
    expect(Object.keys(schema.schema!.properties as object)).toEqual([
      'id',
      'name',
      'score',
      'active',
      'updated_at',
      'mail',
      'source',
    ]);
    expect(schema.key_properties).toEqual(['id']);
    const recs = records(r.msgs, 'public-users');
    expect(recs.map((x) => x.id)).toEqual([2, 4, 6]);
    expect(recs[0]).toEqual({
      id: 2,
      name: 'Name "2" ü',
      score: 3,
      active: true,
      updated_at: '2024-01-01T02:00:00+00:00',
      mail: 'user2@example.org',
      source: 'crm',
    });
    expect(r.stdout).toContain('"score":3.0000,');
    // The other stream has no map: as without maps.
    expect(records(r.msgs, 'public-other')).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
    // STATE stays keyed by the tap's stream ids.
    expect(Object.keys(lastState(r.msgs)!.bookmarks).sort()).toEqual([
      'public-other',
      'public-users',
    ]);
  });

  it('__alias__, __source__ and a top-level __else__: null', async () => {
    const r = await ok({
      __else__: null,
      'public-users': { __alias__: 'customers', __else__: null, id: 'id', mail: 'email' },
      users_audit: { __source__: 'public-users', __else__: null, id: 'id', at: 'updated_at' },
    });
    expect(streamsOf(r.msgs, 'SCHEMA')).toEqual(['customers', 'users_audit']);
    expect(streamsOf(r.msgs, 'RECORD')).toEqual(['customers', 'users_audit']);
    expect(streamsOf(r.msgs, 'ACTIVATE_VERSION')).toEqual(['customers', 'users_audit']);
    expect(records(r.msgs, 'customers')).toHaveLength(6);
    expect(records(r.msgs, 'users_audit')[0]).toEqual({
      id: 1,
      at: '2024-01-01T01:00:00+00:00',
    });
    // The version of both outputs is the source stream's.
    const versions = r.msgs.filter((m) => m.type === 'RECORD').map((m) => m.version);
    expect(new Set(versions).size).toBe(1);
    expect(Object.keys(lastState(r.msgs)!.bookmarks)).toContain('public-users');
  });

  it('a stream mapped to null is not sent at all, and its columns are not read', async () => {
    const r = await ok({ 'public-other': null });
    expect(streamsOf(r.msgs, 'SCHEMA')).toEqual(['public-users']);
  });

  it('config errors: exit 2, one line naming stream, property and expression, nothing on stdout', async () => {
    for (const [maps, message] of [
      [
        { 'public-users': { x: 'nosuch' } },
        /stream 'public-users', property 'x': expression "nosuch" reads 'nosuch'/,
      ],
      [{ 'public-users': { x: 'id +' } }, /property 'x': expression "id \+" does not parse/],
      [{ 'public-users': { id: null } }, /removing a key property is not permitted/],
      [{ 'public-users': 'users' }, /stream 'public-users': expected a map/],
      [{ 'public-users': { x: 'fake.email()' } }, /Faker is not supported/],
    ] as const) {
      const r = await f.run(undefined, { stream_maps: maps });
      expect(contractViolations(r, { allowed: [2] })).toEqual([]);
      expect(r.stdout).toBe('');
      const critical = r.stderrLines.filter((l) => l.startsWith('CRITICAL'));
      expect(critical).toHaveLength(1);
      expect(critical[0]).toMatch(message);
      expect(critical[0]).toMatch(/^CRITICAL (config \([^)]*\): )?stream_maps: /);
    }
  });

  it('a runtime failure names stream, property and expression; the run fails', async () => {
    const r = await f.run(undefined, {
      stream_maps: { 'public-users': { n: 'int(email)' } },
    });
    expect(r.code).toBe(1);
    expect(r.stderrLines.filter((l) => l.startsWith('CRITICAL'))[0]).toMatch(
      /stream map of stream 'public-users' \(source stream 'public-users'\), property 'n': expression "int\(email\)" failed: /,
    );
  });

  it('a failure that quotes a stream_map_config value (a salt) does not print it', async () => {
    const r = await f.run(undefined, {
      stream_maps: { 'public-users': { n: "int(config['salt'])" } },
      stream_map_config: { salt: 'S3cr3tSaltValue' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/property 'n': expression .* failed: ValueError: .*\*\*\*/);
    expect(r.stderr).not.toContain('S3cr3tSaltValue');
  });

  it('two streams sent under one name are refused while ACTIVATE_VERSION is on', async () => {
    await f.select({
      'public-users': { method: 'FULL_TABLE' },
      'public-other': { method: 'FULL_TABLE' },
    });
    const maps = { 'public-*': { __alias__: 'all' } };
    const r = await f.run(undefined, { stream_maps: maps });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/both sent as 'all'.*emit_activate_version/);
    const merged = await ok(maps, undefined, { emit_activate_version: false });
    expect(new Set(records(merged.msgs, 'all').map((x) => Object.keys(x).length))).toEqual(
      new Set([2, 7]),
    );
  });

  it('a removed stream without any key is still synced (its bookmark moves), reading one column', async () => {
    await f.select({ 'public-nokey': { method: 'FULL_TABLE' } });
    const r = await ok({ 'public-nokey': null });
    expect(r.msgs.filter((m) => m.type !== 'STATE')).toEqual([]);
    expect(lastState(r.msgs)!.bookmarks['public-nokey']).toBeDefined();
    expect(r.stderr).toMatch(/public-nokey: not read, as no stream map output needs them: 'w'/);
    const kept = await ok({
      'public-nokey': { __else__: null, __key_properties__: null, x: "'k'" },
    });
    expect(records(kept.msgs, 'public-nokey')).toEqual([{ x: 'k' }, { x: 'k' }]);
  });

  it('INCREMENTAL: a renamed replication key still bookmarks and resumes (the source column)', async () => {
    await f.select({
      'public-users': { method: 'INCREMENTAL', replicationKey: 'updated_at' },
    });
    const maps = { 'public-users': { changed: 'updated_at', updated_at: null, note: null } };
    const first = await ok(maps);
    expect(records(first.msgs, 'public-users')).toHaveLength(6);
    expect(records(first.msgs, 'public-users')[5]).toMatchObject({
      id: 6,
      changed: '2024-01-01T06:00:00+00:00',
    });
    expect(schemaOf(first.msgs, 'public-users')!.bookmark_properties).toEqual(['updated_at']);
    const bookmark = lastState(first.msgs)!.bookmarks['public-users']!;
    expect(bookmark.replication_key).toBe('updated_at');
    await f.db.query(
      `INSERT INTO users VALUES (7, 'u7@example.org', 'seven', 1, 'n', true, '2024-02-01Z')`,
    );
    const second = await ok(maps, lastState(first.msgs));
    expect(records(second.msgs, 'public-users').map((x) => x.id)).toEqual([6, 7]);
    // A map that drops the key resumes as well.
    const third = await ok({ 'public-users': { updated_at: null } }, lastState(second.msgs));
    expect(records(third.msgs, 'public-users').map((x) => x.id)).toEqual([7]);
    expect(records(third.msgs, 'public-users')[0]).not.toHaveProperty('updated_at');
    await f.db.query(`DELETE FROM users WHERE id = 7`);
  });

  it('a column a map removes is never read: a role without SELECT on it syncs', async () => {
    await f.select({ 'public-users': { method: 'FULL_TABLE' } });
    await f.db.query(`
      DROP ROLE IF EXISTS maps_no_note;
      CREATE ROLE maps_no_note LOGIN PASSWORD 'maps-pw';
      GRANT SELECT (id, email, name, score, active, updated_at) ON users TO maps_no_note;`);
    const role = { user: 'maps_no_note', password: 'maps-pw' };
    const unmapped = await f.run(undefined, role);
    expect(unmapped.code).not.toBe(0);
    expect(unmapped.stderr).toMatch(/CRITICAL.*note/);
    const r = await ok({ 'public-users': { note: null }, 'public-other': null }, undefined, role);
    expect(records(r.msgs, 'public-users')).toHaveLength(6);
    expect(r.stderr).toMatch(/public-users: not read, as no stream map output needs them: 'note'/);
    // With __else__: null only the key and the mapped columns are read.
    const narrow = await ok(
      { 'public-users': { __else__: null, id: 'id', upper: 'name' }, 'public-other': null },
      undefined,
      role,
    );
    expect(records(narrow.msgs, 'public-users')[0]).toEqual({ id: 1, upper: 'Name "1" ü' });
  });

  it('a primary key a map removes is still read: the copy reads and resumes in key order', async () => {
    // The catalog keys the stream by email; the table's primary key is id, which the map removes.
    await f.select({ 'public-users': { method: 'FULL_TABLE', keyProperties: ['email'] } });
    const r = await ok({ 'public-users': { id: null }, 'public-other': null }, undefined, {
      batch_fetch_limit: 2,
    });
    const recs = records(r.msgs, 'public-users');
    expect(recs).toHaveLength(6);
    expect(recs.every((x) => !('id' in x))).toBe(true);
    const resumePoints = r.msgs
      .filter((m) => m.type === 'STATE')
      .map((m) => m.value!.bookmarks['public-users']?.last_pk_fetched)
      .filter((pk) => pk !== undefined);
    expect(resumePoints).toContainEqual({ id: '2' });
  });

  it('LOG_BASED: the copy and streamed inserts, updates and deletes are mapped; _sdc_ kept', async () => {
    await f.select({ 'public-users': {} });
    const maps = { 'public-users': { __else__: null, id: 'id', mail: 'email' } };
    const first = await ok(maps);
    const keys = ['id', 'mail', '_sdc_lsn', '_sdc_deleted_at'];
    expect(Object.keys(schemaOf(first.msgs, 'public-users')!.schema!.properties as object)).toEqual(
      keys,
    );
    const copied = records(first.msgs, 'public-users');
    expect(copied).toHaveLength(6);
    expect(copied.every((x) => Object.keys(x).join() === keys.join())).toBe(true);
    await f.db.query(`INSERT INTO users VALUES (8, 'u8@x', 'eight', 8, 'n', true, now())`);
    await f.db.query(`UPDATE users SET email = 'new1@x' WHERE id = 1`);
    await f.db.query(`DELETE FROM users WHERE id = 2`);
    const second = await ok(maps, lastState(first.msgs));
    const streamed = records(second.msgs, 'public-users');
    expect(streamed.map((x) => [x.id, x.mail, x._sdc_deleted_at === null])).toEqual([
      [8, 'u8@x', true],
      [1, 'new1@x', true],
      [2, null, false],
    ]);
    expect(streamed.every((x) => Object.keys(x).join() === keys.join())).toBe(true);
    expect(streamed.every((x) => typeof x._sdc_lsn === 'number')).toBe(true);
    expect(lastState(second.msgs)!.bookmarks['public-users']!.lsn).toEqual(expect.any(Number));
  });

  it('LOG_BASED: a deletion passes the filter, and an expression failing on its nulls gives null', async () => {
    await f.select({ 'public-users': {} });
    const maps = { 'public-users': { __filter__: 'len(name) > 3', shout: 'name.upper()' } };
    const first = await ok(maps);
    await f.db.query(`DELETE FROM users WHERE id = 3`);
    const second = await ok(maps, lastState(first.msgs));
    const streamed = records(second.msgs, 'public-users');
    expect(streamed).toHaveLength(1);
    expect(streamed[0]).toMatchObject({ id: 3, name: null, shout: null });
    expect(streamed[0]!._sdc_deleted_at).toEqual(expect.any(String));
    // Without the rule the run fails on this change at every retry: len() of None.
    await f.db.query(`INSERT INTO users (id, email, name, score, note, active, updated_at)
                      VALUES (3, 'u3@x', 'Name "3" ü', 4.5, 'n', false, now())`);
  });

  it('FULL_TABLE in CTID ranges (snapshot_parallelism) maps every worker line', async () => {
    await f.db.query(`
      CREATE TABLE big (id int PRIMARY KEY, pad text, n numeric) WITH (fillfactor = 10);
      INSERT INTO big SELECT i, repeat(md5(i::text), 3), i / 7.0 FROM generate_series(1, 14000) i;`);
    await f.select({ 'public-big': { method: 'FULL_TABLE' } });
    const parallel = { snapshot_parallelism: 2 };
    const plain = await ok(undefined, undefined, parallel);
    const mapped = await ok({ 'public-big': { pad: null, m: 'n' } }, undefined, parallel);
    expect(mapped.stderr).toMatch(/copying in 2 CTID ranges/);
    const lines = (r: { stdout: string }) =>
      r.stdout
        .split('\n')
        .filter((l) => l.includes('"type":"RECORD"'))
        .map((l) => l.replace(/,"version".*$/, ''))
        .sort();
    const expected = lines(plain).map((l) =>
      l.replace(/"pad":"[0-9a-f]*",("n":([^,}]*))\}/, '$1,"m":$2}'),
    );
    expect(lines(mapped)).toEqual(expected.sort());
    await f.db.query(`DROP TABLE big`);
  });

  describe('an invariant over generated rows', () => {
    type Rec = Record<string, unknown>;
    /** Each map with a reference: what it must make of one source record (null: left out). */
    const MAPS: ReadonlyArray<readonly [string, Record<string, unknown>, (r: Rec) => Rec | null]> =
      [
        [
          'rename, remove, a constant, record[]',
          { t2: 't', t: null, c: "'k'", f: "record['f']" },
          (r) => {
            const o: Rec = { ...r, t2: r.t };
            delete o.t;
            o.c = 'k';
            return o;
          },
        ],
        [
          '__else__: null and a filter',
          { __else__: null, id: 'id', n: 'n', jj: 'j', __filter__: 'b' },
          (r) => (r.b === true ? { id: r.id, n: r.n, jj: r.j } : null),
        ],
        [
          'expressions: upper(), md5(), int arithmetic, a numeric filter',
          {
            t: 't.upper() if t else t',
            h: 'md5(str(id))',
            k: 'int(id * 2 + 1)',
            __filter__: 'n is None or n > 0',
          },
          (r) => {
            if (r.n !== null && !new Decimal(String(r.n)).gt(0)) return null;
            const id = Number(String(r.id));
            return {
              ...r,
              t: typeof r.t === 'string' && r.t !== '' ? r.t.toUpperCase() : r.t,
              h: createHash('md5').update(String(id)).digest('hex'),
              k: new LosslessNumber(String(id * 2 + 1)),
            };
          },
        ],
        [
          // The forms evaluated on a value's bytes (src/maps/byte-forms.ts), on every kind of text.
          'md5, sha256, upper() and lower() of a text',
          {
            __filter__: 't is not None',
            th: 'md5(t)',
            ts: 'sha256(t)',
            tu: 't.upper()',
            tl: 't.lower()',
          },
          (r) => {
            if (r.t === null) return null;
            const t = r.t as string;
            return {
              ...r,
              th: createHash('md5').update(t).digest('hex'),
              ts: createHash('sha256').update(t).digest('hex'),
              tu: t.toUpperCase(),
              tl: t.toLowerCase(),
            };
          },
        ],
        [
          'int() of numerics and a numeric filter, small and large',
          { __filter__: 'm >= 0', mi: 'int(m * 100)', mj: 'int(-3 * m)', mk: 'int(m)' },
          (r) => {
            // Python's Decimal context: 28 digits, half-even.
            const D = Decimal.clone({ precision: 28, rounding: Decimal.ROUND_HALF_EVEN });
            const m = new D(String(r.m));
            if (m.lt(0)) return null;
            const int = (d: Decimal) =>
              new LosslessNumber(d.trunc().toFixed(0).replace(/^-0$/, '0'));
            return { ...r, mi: int(m.times(100)), mj: int(m.times(-3)), mk: int(m) };
          },
        ],
        [
          '__key_properties__ and __NULL__',
          { __key_properties__: ['id', 'd'], j: '__NULL__', n2: 'n', d: 'd' },
          (r) => {
            const o: Rec = { ...r };
            delete o.j;
            o.n2 = r.n;
            return o;
          },
        ],
      ];
    const text = fc
      .string({
        unit: fc.oneof(
          fc.constantFrom('"', "'", '\\', 'é', '😀', '\n', ' '),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
        ),
      })
      .filter((t) => !t.includes('\u0000'));
    const row = fc.record({
      t: fc.option(text),
      n: fc.option(
        fc
          .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat({ max: 999999 }))
          .map(([i, d]) => `${i}.${d}`),
      ),
      f: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
      b: fc.option(fc.boolean()),
      j: fc.option(fc.jsonValue().filter((v) => !JSON.stringify(v).includes('\\u0000'))),
      d: fc.option(
        fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
      ),
      // Mostly within 15 digits (the byte forms' range), some far beyond it.
      m: fc
        .tuple(
          fc.oneof(
            fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
            fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }),
          ),
          fc.nat({ max: 999999 }),
          fc.integer({ min: 0, max: 6 }),
        )
        .map(([i, d, scale]) =>
          scale === 0 ? `${i}` : `${i}.${String(d).padStart(6, '0').slice(0, scale)}`,
        ),
    });

    it('each mapped RECORD is the map applied to the unmapped run’s RECORD', async () => {
      await f.db.query(
        `CREATE TABLE gen (id int PRIMARY KEY, t text, n numeric, f float8, b boolean, j jsonb, d date, m numeric NOT NULL)`,
      );
      const rows = fc.sample(row, { numRuns: 60, seed: 20261203 });
      for (const [i, r] of rows.entries()) {
        await f.db.query(`INSERT INTO gen VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
          i + 1,
          r.t,
          r.n,
          r.f,
          r.b,
          r.j === null ? null : JSON.stringify(r.j),
          r.d === null ? null : r.d.toISOString().slice(0, 10),
          r.m,
        ]);
      }
      await f.select({ 'public-gen': { method: 'FULL_TABLE' } });
      const exact = (raw: string) =>
        raw
          .split('\n')
          .filter((l) => l.includes('"type":"RECORD"'))
          .map((l) => (losslessParse(l) as { record: Rec }).record);
      const plain = await ok(undefined);
      const source = exact(plain.stdout);
      expect(source).toHaveLength(rows.length);
      for (const [what, map, reference] of MAPS) {
        const mapped = await ok({ 'public-gen': map });
        const got = exact(mapped.stdout).map((r) => losslessStringify(r));
        const want = source
          .map(reference)
          .filter((r): r is Rec => r !== null)
          .map((r) => losslessStringify(r));
        expect({ what, records: got }).toEqual({ what, records: want });
      }
    });
  });
});
