import { parseMessages, records, lastState, selectStreams } from './support/catalog-helpers';
import { ALL_TYPES_SQL } from './support/all-types';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/** The raw `"record":{…}` text of the RECORD for `id`, without the _sdc_ columns. */
function rawRecord(stdout: string, id: number): string {
  const line = stdout.split('\n').find((l) => l.includes(`"record":{"id":${id},`))!;
  const body = /"record":\{(.*)\},"version"/.exec(line)![1]!;
  return body.replace(/,"_sdc_lsn":\d+,"_sdc_deleted_at":(null|"[^"]*")$/, '');
}

describe('LOG_BASED values', () => {
  let db: TestDatabase;
  const files = tempFiles();

  beforeAll(async () => {
    db = await createTestDatabase('lbvalues');
    await db.query(ALL_TYPES_SQL);
    await db.query('CREATE PUBLICATION tap_postgres FOR TABLE all_types');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('render a row of every type identically in the snapshot, in the stream and in FULL_TABLE', async () => {
    const config = files.write('config.json', { ...db.config, logical_poll_total_seconds: 5 });
    const discovered = JSON.parse((await runTap(['--config', config, '--discover'])).stdout);
    const lb = files.write(
      'lb.json',
      selectStreams(discovered, { 'public-all_types': { method: 'LOG_BASED' } }),
    );
    const ft = files.write(
      'ft.json',
      selectStreams(discovered, { 'public-all_types': { method: 'FULL_TABLE' } }),
    );

    const snapshot = await runTap(['--config', config, '--catalog', lb]);
    expect(snapshot.code).toBe(0);
    // Rewrite both rows in place: the stream carries every column's text again.
    await db.query(`UPDATE all_types SET id = id WHERE id IN (1, 2)`);
    const streamed = await runTap([
      '--config',
      config,
      '--catalog',
      lb,
      '--state',
      files.write('s.json', lastState(parseMessages(snapshot.stdout))),
    ]);
    expect(streamed.code).toBe(0);
    expect(records(parseMessages(streamed.stdout)).map((r) => r.id)).toEqual([1, 2]);
    const full = await runTap(['--config', config, '--catalog', ft]);

    for (const id of [1, 2]) {
      const fromSnapshot = rawRecord(snapshot.stdout, id);
      expect(rawRecord(streamed.stdout, id)).toBe(fromSnapshot);
      expect(rawRecord(full.stdout, id)).toBe(fromSnapshot);
    }
    expect(rawRecord(streamed.stdout, 1)).toContain('"n_free":12345678901234567890.123456789');
  });
});
