import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_SCHEMA_SQL } from '../src/demo/demo-schema';
import { validatorFor } from '../src/schemas/schema-validator';
import { parseState } from '../src/state/tap-state';
import { runTap, tempFiles } from './support/run-tap';
import { createTestDatabase, type TestDatabase } from './support/test-db';

const ROOT = join(__dirname, '..');
const readExample = (name: string): unknown => JSON.parse(readFileSync(join(ROOT, name), 'utf8'));

/** The example's database is called `demo`; the test's has a random name. */
function withDatabaseName(catalog: unknown, name: string): unknown {
  return JSON.parse(
    JSON.stringify(catalog).replace(
      /"database-name":"[^"]*"/g,
      `"database-name":${JSON.stringify(name)}`,
    ),
  );
}

describe('the example files', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('examples');
    await db.query(DEMO_SCHEMA_SQL);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('catalog.example.json is what --discover prints for the demo schema', async () => {
    const config = tempFiles().write('config.json', { ...db.config, filter_schemas: 'shop' });
    const r = await runTap(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    const discovered = JSON.parse(r.stdout);
    if (process.env.UPDATE_EXAMPLES) {
      writeFileSync(
        join(ROOT, 'catalog.example.json'),
        `${JSON.stringify(withDatabaseName(discovered, 'demo'), null, 2)}\n`,
      );
    }
    expect(discovered).toEqual(withDatabaseName(readExample('catalog.example.json'), db.name));
  });

  it('catalog.example.json validates against schemas/catalog.schema.json', () => {
    const validate = validatorFor('catalog');
    expect(validate(readExample('catalog.example.json'))).toBe(true);
    expect(validate({ streams: [{ schema: {} }] })).toBe(false);
  });

  it('state.example.json validates against schemas/state.schema.json and is accepted', () => {
    const validate = validatorFor('state');
    const state = readExample('state.example.json');
    expect(validate(state)).toBe(true);
    expect(parseState(state, 'state.example.json').currently_syncing).toBe('shop-orders');
  });
});
