import { createTestDatabase, type TestDatabase } from './support/test-db';

describe('test harness', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('harness');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('runs a real PostgreSQL server with logical decoding', async () => {
    const [row] = await db.query<{ wal_level: string }>('SHOW wal_level');
    expect(row?.wal_level).toBe('logical');
  });

  it('gives each test file a database of its own', async () => {
    const [row] = await db.query<{ d: string }>('SELECT current_database() AS d');
    expect(row?.d).toBe(db.name);
  });
});
