import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { validatorFor } from '../src/schemas/schema-validator';
import { parseMessages, records, selectStreams } from './support/catalog-helpers';
import { runTap, tempFiles } from './support/run-tap';
import { ALL_TYPES_SQL } from './support/all-types';
import { createTestDatabase, type TestDatabase } from './support/test-db';

/**
 * Values (docs/values.md) end to end: a row of every type family goes through discovery and a
 * FULL_TABLE sync, and comes out exactly (raw stdout is checked, so no JSON.parse float rounding
 * hides a loss); INCREMENTAL must render the same rows byte for byte.
 */
describe('exact values through FULL_TABLE', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let stdout: string;
  let stderr: string;
  let catalogPath: string;
  let discovered: Parameters<typeof selectStreams>[0];

  beforeAll(async () => {
    db = await createTestDatabase('values');
    await db.query(ALL_TYPES_SQL);
    const config = files.write('config.json', db.config);
    const disc = await runTap(['--config', config, '--discover']);
    expect(disc.code).toBe(0);
    discovered = JSON.parse(disc.stdout);
    const catalog = selectStreams(discovered, {
      'public-all_types': { method: 'FULL_TABLE' },
    });
    catalogPath = files.write('catalog.json', catalog);
    const r = await runTap(['--config', config, '--catalog', catalogPath]);
    expect(r.code).toBe(0);
    stdout = r.stdout;
    stderr = r.stderr;
  });
  afterAll(async () => {
    await db.drop();
  });

  const rawRecord = (id: number) =>
    stdout.split('\n').find((l) => l.includes(`"record":{"id":${id},`))!;

  it.each([
    ['i8', '9007199254740993'],
    ['n_free', '12345678901234567890.123456789'],
    ['n_fixed', '1234567890.12'],
    ['n_nan', 'null'],
    ['r4', '3.4028235e+38'],
    ['f8', '0.1'],
    ['f8_inf', 'null'],
    ['jb', '{"s":"x\\"}{","big":123456789012345678901234567890}'],
    ['j', '{"a":[1,2.50],"b":null}'],
    ['tstz', '"2024-01-02T03:04:05.123456+00:00"'],
    ['ts', '"2024-01-02T03:04:05.123456+00:00"'],
    ['tstz_inf', 'null'],
    ['d', '"2024-02-29"'],
    ['d_bc', 'null'],
    ['a2', '[[1,2],[3,4]]'],
    ['a1', '[1,null,3]'],
    ['at', '["a,b","NULL",null,"q\\"x"]'],
    ['an', '[1.10,99999999999999999999.5]'],
    ['ats', '["2024-01-02T03:04:05.5+00:00"]'],
    ['t', '"line1\\nline2\\t\\"q\\" \\\\"'],
    ['b', 'true'],
    ['i2', '-32768'],
    ['hs', '{"k":"v","a b":null}'],
  ])('%s is exactly %s', (col, fragment) => {
    const line = rawRecord(1);
    const hs = col === 'hs' ? /"hs":(\{[^}]*\})/.exec(line)?.[1] : undefined;
    if (hs) {
      expect(JSON.parse(hs)).toEqual(JSON.parse(fragment));
      return;
    }
    expect(line).toContain(`"${col}":${fragment}`);
  });

  it('renders the other types as the contract says', () => {
    const rec = records(parseMessages(stdout))[0]!;
    expect(rec).toMatchObject({
      m: '$12.34',
      c3: 'ab ',
      vc: 'varchar ✓',
      ci: 'CaseLess',
      u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      x: '<a>1</a>',
      t0: '13:14:15.123456',
      iv: 'P1Y2M3DT4H5M6.5S',
      ip: '192.168.0.1/24',
      cidr_: '10.0.0.0/8',
      mac: '08:00:2b:01:02:03',
      bits: '1010',
      vbits: '101',
      r: '[1,10)',
      e: 'happy',
      dom: 19.99,
      comp: '("Main St",12345)',
      tsv: "'a' 'cat' 'fat'",
    });
    expect(typeof rec.by).toBe('string');
    expect(String(rec.by)).toMatch(/deadbeef$/);
  });

  it('a row of NULLs is all nulls, never missing keys', () => {
    const rec = records(parseMessages(stdout))[1]!;
    const { id, ...rest } = rec;
    expect(id).toBe(2);
    expect(Object.values(rest).every((v) => v === null)).toBe(true);
    expect(Object.keys(rest)).toHaveLength(46);
  });

  it('every message validates against schemas/messages.schema.json and every RECORD against its SCHEMA', () => {
    const messages = parseMessages(stdout);
    const validMessage = validatorFor('messages');
    for (const m of messages) expect(validMessage(m) ? null : validMessage.errors).toBeNull();
    // multipleOf is checked exactly with decimals by singer-check-tap and target-postgres; ajv divides
    // floats (1234567890.12 / 0.01 is not an integer in binary). So ajv checks everything else, and
    // multipleOf is checked on the raw digits of the line.
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    const withoutMultipleOf = (schema: Record<string, unknown>) => {
      const props = schema.properties as Record<string, Record<string, unknown>>;
      for (const [col, p] of Object.entries(props)) {
        if (typeof p.multipleOf !== 'number') continue;
        const scale = Math.round(-Math.log10(p.multipleOf));
        const raw = new RegExp(`"${col}":(-?[0-9.]+|null)`).exec(rawRecord(1))![1]!;
        expect(raw === 'null' || (raw.split('.')[1] ?? '').length <= scale).toBe(true);
        delete p.multipleOf;
      }
      return schema;
    };
    const schemas = new Map<string, ReturnType<typeof ajv.compile>>();
    let checked = 0;
    for (const m of messages) {
      if (m.type === 'SCHEMA') schemas.set(m.stream!, ajv.compile(withoutMultipleOf(m.schema!)));
      if (m.type === 'RECORD') {
        const v = schemas.get(m.stream!)!;
        expect(v(m.record) ? null : v.errors).toBeNull();
        checked += 1;
      }
    }
    expect(checked).toBe(2);
  });

  it('says how many values became null by default, per column', () => {
    expect(stderr).toMatch(/public-all_types: 1 value\(s\) of column 'tstz_inf' have no JSON/);
    expect(stderr).toMatch(/column 'd_bc'/);
    expect(stderr).toMatch(/column 'n_nan'/);
  });

  it.each([
    ['string', '"tstz_inf":"infinity"', '"d_bc":"0044-03-15 BC"'],
    ['clamp', '"tstz_inf":"9999-12-31T23:59:59+00:00"', '"d_bc":"0001-01-01"'],
  ])('temporal_out_of_range=%s', async (policy, tstz, date) => {
    const config = files.write(`config-${policy}.json`, {
      ...db.config,
      temporal_out_of_range: policy,
    });
    const r = await runTap(['--config', config, '--catalog', catalogPath]);
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('"record":{"id":1,'))!;
    expect(line).toContain(tstz);
    expect(line).toContain(date);
    expect(line).toContain('"n_nan":null');
  });

  /** RECORD lines without what differs by run (version, time_extracted). */
  const recordLines = (out: string) =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{"type":"RECORD"'))
      .map((l) => l.replace(/,"version":\d+/, '').replace(/,"time_extracted":"[^"]*"/, ''));

  it.each(['null', 'string', 'clamp'])(
    'INCREMENTAL renders every row byte for byte as FULL_TABLE (temporal_out_of_range %s)',
    async (policy) => {
      const config = files.write(`config-same-${policy}.json`, {
        ...db.config,
        temporal_out_of_range: policy,
      });
      const incremental = files.write(
        'catalog-incremental.json',
        selectStreams(discovered, {
          'public-all_types': { method: 'INCREMENTAL', replicationKey: 'id' },
        }),
      );
      const full = await runTap(['--config', config, '--catalog', catalogPath]);
      const inc = await runTap(['--config', config, '--catalog', incremental]);
      expect([full.code, inc.code]).toEqual([0, 0]);
      expect(recordLines(full.stdout)).toHaveLength(2);
      expect(recordLines(inc.stdout)).toEqual(recordLines(full.stdout));
    },
  );
});
