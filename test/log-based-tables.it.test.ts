import { Client } from 'pg';
import { selectedStreams, type InputStream } from '../src/catalog/stream-selection';
import { normalizeConfig } from '../src/config/normalize-config';
import { resolveStreamColumns } from '../src/sync/stream-columns';
import { DEFAULT_VALUE_POLICY } from '../src/values';
import { parseMessages, records, selectStreams, type Selection } from './support/catalog-helpers';
import { wal2jsonServerUrl, wal2jsonSkipped } from './support/debian-server';
import { contractViolations } from './support/output-contract';
import { runTap, tempFiles, type TapRun } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * What a LOG_BASED stream needs from its own table. An UNLOGGED table writes no WAL: discovery
 * does not offer it LOG_BASED, `--check` says so, and a sync refuses it before any output (with
 * pgoutput it cannot even be published; with wal2json it would simply never change). A table with
 * REPLICA IDENTITY USING INDEX puts only that index's columns in the WAL for a delete: discovery
 * keys it by them, and a LOG_BASED stream keyed by anything else is refused with the fix.
 */
const SETUP = `
CREATE UNLOGGED TABLE public.scratch (id int PRIMARY KEY, v text);
CREATE TABLE public.ri_nopk (a int NOT NULL, b int NOT NULL, v text);
CREATE UNIQUE INDEX ri_nopk_ab ON public.ri_nopk (a, b);
ALTER TABLE public.ri_nopk REPLICA IDENTITY USING INDEX ri_nopk_ab;
CREATE TABLE public.ri_pk (id int PRIMARY KEY, code text NOT NULL, v text);
CREATE UNIQUE INDEX ri_pk_code ON public.ri_pk (code);
ALTER TABLE public.ri_pk REPLICA IDENTITY USING INDEX ri_pk_code;
CREATE TABLE public.full_ident (id int PRIMARY KEY, v text);
ALTER TABLE public.full_ident REPLICA IDENTITY FULL;
INSERT INTO public.scratch VALUES (1, 'x');
INSERT INTO public.ri_nopk VALUES (1, 2, 'x');
INSERT INTO public.ri_pk VALUES (1, 'one', 'x'), (2, 'two', 'y');`;

interface Stream extends InputStream {
  key_properties: string[];
  metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
}

const root = (s: Stream) => s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;

/** One CRITICAL line, exit 1 or 2, nothing a target could commit. */
function refused(r: TapRun): string {
  expect(contractViolations(r, { allowed: [1, 2] })).toEqual([]);
  expect(r.stdout).toBe('');
  return r.stderrLines.find((l) => l.startsWith('CRITICAL'))!;
}

function tablesOn(prefix: string, admin?: string) {
  const files = tempFiles();
  let db: TestDatabase;
  let config: Record<string, unknown>;
  let streams: Stream[];
  return {
    files,
    get db() {
      return db;
    },
    get streams() {
      return streams;
    },
    async setUp(plugin: 'pgoutput' | 'wal2json') {
      db = await createTestDatabase(prefix, admin);
      await db.query(SETUP);
      config = {
        ...db.config,
        logical_decoding_plugin: plugin,
        create_publication: true,
        logical_poll_total_seconds: 2,
      };
      const r = await runTap(['--config', files.write('config.json', config), '--discover']);
      expect(r.code).toBe(0);
      streams = (JSON.parse(r.stdout) as { streams: Stream[] }).streams;
    },
    run(selection: Record<string, Selection>, extra: string[] = [], edit?: (s: Stream) => void) {
      const picked = selectStreams({ streams }, selection);
      if (edit) picked.streams.forEach(edit);
      const catalog = files.write(`catalog-${Math.random()}.json`, picked);
      return runTap([
        '--config',
        files.write('config.json', config),
        '--catalog',
        catalog,
        ...extra,
      ]);
    },
  };
}

const UNLOGGED_MESSAGE =
  /^CRITICAL .*public\.scratch is an UNLOGGED table: its changes are never written to the WAL, so LOG_BASED cannot cover it: run `ALTER TABLE "public"\."scratch" SET LOGGED;` \(or replicate it with FULL_TABLE or INCREMENTAL\)$/;

describe('LOG_BASED tables (pgoutput)', () => {
  const t = tablesOn('lbtables');
  beforeAll(() => t.setUp('pgoutput'));
  afterAll(() => t.db.drop());

  it('discovery marks the UNLOGGED table and does not offer it LOG_BASED', () => {
    const byId = Object.fromEntries(t.streams.map((s) => [s.tap_stream_id, root(s)]));
    expect(byId['public-scratch']).toMatchObject({
      'is-unlogged': true,
      'valid-replication-methods': ['FULL_TABLE', 'INCREMENTAL'],
    });
    expect(byId['public-ri_pk']).toMatchObject({
      'is-unlogged': false,
      'valid-replication-methods': ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'],
    });
  });

  it('discovery keys a REPLICA IDENTITY USING INDEX table by the index, with or without a primary key', () => {
    const keys = Object.fromEntries(
      t.streams.map((s) => [
        s.tap_stream_id,
        [root(s)['table-key-properties'], s.key_properties, root(s)['replica-identity']],
      ]),
    );
    expect(keys).toEqual({
      'public-full_ident': [['id'], ['id'], 'full'],
      'public-ri_nopk': [['a', 'b'], ['a', 'b'], 'index'],
      'public-ri_pk': [['code'], ['code'], 'index'],
      'public-scratch': [['id'], ['id'], 'default'],
    });
  });

  it('the sync reads each table replica identity from the database', async () => {
    const config = normalizeConfig({ ...t.db.config, default_replication_method: 'FULL_TABLE' });
    const all = selectedStreams(
      { streams: t.streams.map((s) => ({ ...s, selected: true, metadata: undefined })) },
      config,
      'catalog',
    );
    const client = new Client({ connectionString: t.db.url });
    await client.connect();
    try {
      const resolved = await resolveStreamColumns(client, all, DEFAULT_VALUE_POLICY);
      expect(
        Object.fromEntries(
          resolved.map((sc) => [sc.stream.tapStreamId, [sc.replicaIdentity, sc.unlogged]]),
        ),
      ).toEqual({
        'public-full_ident': [{ kind: 'full', columns: ['id', 'v'] }, false],
        'public-ri_nopk': [{ kind: 'index', columns: ['a', 'b'] }, false],
        'public-ri_pk': [{ kind: 'index', columns: ['code'] }, false],
        'public-scratch': [{ kind: 'default', columns: ['id'] }, true],
      });
    } finally {
      await client.end();
    }
  });

  it('a LOG_BASED sync of an UNLOGGED table stops before any output, saying what to do', async () => {
    const r = await t.run({
      'public-ri_pk': { method: 'FULL_TABLE' },
      'public-scratch': { method: 'LOG_BASED' },
    });
    expect(refused(r)).toMatch(UNLOGGED_MESSAGE);
    // Refused before the publication: PostgreSQL would reject an UNLOGGED table in one.
    expect(
      await t.db.query(`SELECT pubname FROM pg_publication WHERE pubname = 'tap_postgres'`),
    ).toEqual([]);
  });

  it('--check: the same problem, and no publication fix PostgreSQL would reject', async () => {
    const r = await t.run({ 'public-scratch': { method: 'LOG_BASED' } }, ['--check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /✗ public\.scratch is an UNLOGGED table: .* so LOG_BASED cannot cover it — fix: ALTER TABLE "public"\."scratch" SET LOGGED; \(or replicate it with FULL_TABLE or INCREMENTAL\)/,
    );
    expect(r.stderr).not.toMatch(/ADD TABLE "public"\."scratch"|FOR TABLE "public"\."scratch"/);
  });

  it('an UNLOGGED table is fine for FULL_TABLE', async () => {
    const r = await t.run({ 'public-scratch': { method: 'FULL_TABLE' } });
    expect(contractViolations(r, { allowed: [0] })).toEqual([]);
    expect(records(parseMessages(r.stdout), 'public-scratch')).toEqual([{ id: 1, v: 'x' }]);
  });

  it('LOG_BASED keyed by columns the replica identity does not send: refused with the fix, in --check too', async () => {
    // A catalog discovered before: keyed by the primary key, which a delete does not carry.
    const byPk = (s: Stream) => {
      if (s.tap_stream_id !== 'public-ri_pk') return;
      root(s)['table-key-properties'] = ['id'];
      s.key_properties = ['id'];
    };
    const message =
      /public\.ri_pk: key properties id are not in its REPLICA IDENTITY USING INDEX on \(code\), so deletes and key updates would reach the tap without them: run `ALTER TABLE "public"\."ri_pk" REPLICA IDENTITY FULL;` \(or set the stream's table-key-properties to \["code"\]\)$/;
    const sync = await t.run({ 'public-ri_pk': { method: 'LOG_BASED' } }, [], byPk);
    expect(refused(sync)).toMatch(message);
    const check = await t.run({ 'public-ri_pk': { method: 'LOG_BASED' } }, ['--check'], byPk);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/✗ public\.ri_pk: key properties id are not in its REPLICA/);
  });

  it('LOG_BASED keyed as discovered: every delete carries its key', async () => {
    const sel: Record<string, Selection> = {
      'public-ri_pk': { method: 'LOG_BASED' },
      'public-ri_nopk': { method: 'LOG_BASED' },
    };
    const first = await t.run(sel);
    expect(contractViolations(first, { allowed: [0] })).toEqual([]);
    const state = [...parseMessages(first.stdout)].reverse().find((m) => m.type === 'STATE')!;
    await t.db.query(`DELETE FROM public.ri_pk WHERE id = 2; DELETE FROM public.ri_nopk`);
    const second = await t.run(sel, ['--state', t.files.write('state.json', state.value)]);
    expect(contractViolations(second, { allowed: [0] })).toEqual([]);
    const msgs = parseMessages(second.stdout);
    const deleted = (id: string) =>
      records(msgs, id).filter(
        (r) => r._sdc_deleted_at !== null && r._sdc_deleted_at !== undefined,
      );
    expect(deleted('public-ri_pk')).toEqual([expect.objectContaining({ code: 'two' })]);
    expect(deleted('public-ri_nopk')).toEqual([expect.objectContaining({ a: 1, b: 2 })]);
  });
});

const describeWal2json = wal2jsonSkipped() ? describe.skip : describe;

describeWal2json('LOG_BASED tables (wal2json)', () => {
  const t = tablesOn('lbtablesw2j', wal2jsonSkipped() ? undefined : wal2jsonServerUrl());
  beforeAll(() => t.setUp('wal2json'));
  afterAll(() => t.db.drop());

  it('a LOG_BASED sync of an UNLOGGED table stops before any output (it would never change)', async () => {
    const r = await t.run({ 'public-scratch': { method: 'LOG_BASED' } });
    expect(refused(r)).toMatch(UNLOGGED_MESSAGE);
    expect(
      await t.db.query(`SELECT slot_name FROM pg_replication_slots WHERE database = $1`, [
        t.db.name,
      ]),
    ).toEqual([]);
  });

  it('--check says so too', async () => {
    const r = await t.run({ 'public-scratch': { method: 'LOG_BASED' } }, ['--check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/✗ public\.scratch is an UNLOGGED table: .* — fix: ALTER TABLE/);
  });
});
