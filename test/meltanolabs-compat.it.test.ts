import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseMessages, records } from './support/catalog-helpers';
import { recordSchemaErrors } from './support/record-schemas';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

interface MeltanoSetting {
  name: string;
  kind?: string;
  value?: unknown;
}
interface Fixture {
  readme_settings: Array<{ name: string; default: string }>;
  meltano_yml: {
    plugins: {
      extractors: Array<{
        name: string;
        capabilities: string[];
        settings: MeltanoSetting[];
        config: Record<string, unknown>;
        select: string[];
      }>;
    };
  };
}

const FIXTURE = parse(
  readFileSync(join(__dirname, 'fixtures', 'meltanolabs', 'settings.yml'), 'utf8'),
) as Fixture;
const EXTRACTOR = FIXTURE.meltano_yml.plugins.extractors[0]!;

/**
 * Settings of MeltanoLabs tap-postgres that have no counterpart here, each accepted with a warning
 * and why (docs/meltano.md says the same): a config written for it must still run.
 */
const WITHOUT_EFFECT: Record<string, string> = {
  max_record_count: 'an SDK testing limit',
  dates_as_string: 'dates and timestamps are always RFC 3339 strings here',
  json_as_object: 'json and jsonb are always emitted as JSON values here',
  stream_options: 'custom WHERE clauses are not supported',
  ssl_storage_directory: 'certificates are never written to disk here',
  faker_config: 'faker is not available in expressions',
};

/** A setting name of the README (`a.b.c`, `stream_options.<stream_name>.x`) as a path. */
const pathOf = (name: string) => name.split('.').filter((p) => !p.startsWith('<'));

/** `select: "*.*"`: Meltano marks every stream and property of a discovered catalog selected and sets no method. */
function everythingSelected(discovered: string): unknown {
  const catalog = JSON.parse(discovered) as {
    streams: Array<{ metadata: Array<{ metadata: Record<string, unknown> }> }>;
  };
  for (const s of catalog.streams) for (const m of s.metadata) m.metadata.selected = true;
  return catalog;
}

/** Meltano's config.json for a plugin: dotted setting names become nested objects. */
function meltanoConfig(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const path = pathOf(name);
    let node = out;
    for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = value;
  }
  return out;
}

describe('a project configured for MeltanoLabs tap-postgres', () => {
  let db: TestDatabase;
  const files = tempFiles();
  let about: { capabilities: string[]; settings: { properties: Record<string, unknown> } };

  beforeAll(async () => {
    db = await createTestDatabase('compat');
    await db.query(`
      CREATE TABLE customers (id int PRIMARY KEY, email text, payload jsonb, amount numeric(12,2));
      INSERT INTO customers VALUES
        (1, 'Ann@example.com', '{"plan": {"name": "pro", "seats": 3}}', 12.50),
        (2, 'bob@example.com', null, 0.10);
    `);
    const r = await runTap(['--about', '--format', 'json']);
    expect(r.code).toBe(0);
    about = JSON.parse(r.stdout) as typeof about;
  });
  afterAll(async () => {
    await db.drop();
  });

  /** The fixture's `sqlalchemy_url`, pointed at the test database in the same URL form. */
  const url = () => {
    const u = new URL(db.url);
    return `postgresql://${u.username}:${u.password}@${u.host}/${db.name}`;
  };

  it('--about lists every capability MeltanoLabs tap-postgres declares', () => {
    for (const c of [
      ...EXTRACTOR.capabilities,
      'catalog',
      'state',
      'discover',
      'about',
      'stream-maps',
      'schema-flattening',
      'batch',
    ]) {
      expect(about.capabilities).toContain(c);
    }
  });

  it('every setting of its README is a setting here, or is documented as without effect', () => {
    const unknown: string[] = [];
    for (const { name } of FIXTURE.readme_settings) {
      const [top, ...rest] = pathOf(name);
      if (WITHOUT_EFFECT[top!]) continue;
      let schema = about.settings.properties[top!] as Record<string, unknown> | undefined;
      for (const p of rest) {
        schema = (schema?.properties as Record<string, Record<string, unknown>> | undefined)?.[p];
      }
      if (!schema) unknown.push(name);
    }
    expect(unknown).toEqual([]);
  });

  it("its meltano.yml's config (settings with their values, dotted names nested) discovers and syncs", async () => {
    const values: Record<string, unknown> = {};
    for (const s of EXTRACTOR.settings) if (s.value !== undefined) values[s.name] = s.value;
    Object.assign(values, EXTRACTOR.config, { sqlalchemy_url: url() });
    const config = files.write('meltano-config.json', meltanoConfig(values));
    const d = await runTap(['--config', config, '--discover']);
    expect(d.stderr).not.toMatch(/not a tap-postgres setting/);
    expect(d.code).toBe(0);
    const catalog = everythingSelected(d.stdout);
    const r = await runTap(['--config', config, '--catalog', files.write('cat.json', catalog)]);
    if (r.code !== 0) throw new Error(r.stderr);
    const msgs = parseMessages(r.stdout);
    expect(records(msgs, 'public-customers')).toEqual([
      {
        id: 1,
        email: 'Ann@example.com',
        payload: { plan: { name: 'pro', seats: 3 } },
        amount: 12.5,
      },
      { id: 2, email: 'bob@example.com', payload: null, amount: 0.1 },
    ]);
    expect(recordSchemaErrors(msgs)).toEqual([]);
  });

  it('a config using every README setting validates and runs, warning about the ones without effect', async () => {
    const config = files.write('all-settings.json', {
      sqlalchemy_url: url(),
      filter_schemas: ['public'],
      default_replication_method: 'FULL_TABLE',
      replication_slot_name: 'tappostgres',
      max_record_count: 1000,
      dates_as_string: false,
      json_as_object: false,
      stream_options: { 'public-customers': { custom_where_clauses: ['id > 0'] } },
      ssh_tunnel: { enable: false },
      ssl_enable: false,
      ssl_client_certificate_enable: false,
      ssl_mode: 'verify-full',
      ssl_storage_directory: '.secrets',
      stream_maps: { 'public-customers': { email_hash: 'md5(email)', email: '__NULL__' } },
      stream_map_config: { salt: 'x' },
      faker_config: { seed: 1 },
      flattening_enabled: true,
      flattening_max_depth: 1,
    });
    const d = await runTap(['--config', config, '--discover']);
    expect(d.code).toBe(0);
    const catalog = everythingSelected(d.stdout);
    const r = await runTap(['--config', config, '--catalog', files.write('cat2.json', catalog)]);
    expect(r.code).toBe(0);
    for (const key of ['max_record_count', 'dates_as_string', 'json_as_object', 'stream_options']) {
      expect(r.stderr).toContain(key);
    }
    const [first] = records(parseMessages(r.stdout), 'public-customers');
    expect(first).toEqual({
      id: 1,
      payload: JSON.stringify({ plan: { name: 'pro', seats: 3 } }),
      amount: 12.5,
      email_hash: '8fbee76f5fdab96eed5f306a6388af95',
    });
  });
});
