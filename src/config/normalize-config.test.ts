import { defaultSlotName, defaultSnapshotParallelism, normalizeConfig } from './normalize-config';

const base = { database: 'db', username: 'u' };

describe('normalizeConfig', () => {
  it.each([
    ['defaults', base, { host: 'localhost', port: 5432, batchFetchLimit: 50000, schemas: null }],
    [
      'Mage keys',
      { ...base, schema: 'sales', batch_fetch_limit: 10 },
      { schemas: ['sales'], batchFetchLimit: 10 },
    ],
    [
      'singer-io / pipelinewise keys',
      { dbname: 'd2', user: 'u2', itersize: '20000', filter_schemas: 'a, b,,c' },
      { database: 'd2', username: 'u2', batchFetchLimit: 20000, schemas: ['a', 'b', 'c'] },
    ],
    [
      'Meltano filter_schemas array',
      { ...base, filter_schemas: ['x', 'y'] },
      { schemas: ['x', 'y'] },
    ],
    [
      'filter_schemas wins over schema',
      { ...base, schema: 's', filter_schemas: 'f' },
      { schemas: ['f'] },
    ],
    ['port as a string', { ...base, port: '6543' }, { port: 6543 }],
    [
      'booleans as strings',
      { ...base, break_at_end_lsn: 'false', emit_activate_version: 'false' },
      { breakAtEndLsn: false, emitActivateVersion: false },
    ],
    [
      'LOG_BASED defaults',
      base,
      {
        replicationSlot: 'tap_postgres_db',
        publicationName: 'tap_postgres',
        logicalDecodingPlugin: 'pgoutput',
        ackMode: 'next_run',
        logicalPollTotalSeconds: 60,
        maxRunSeconds: 43200,
        breakAtEndLsn: true,
        createPublication: false,
        metricsLogIntervalSeconds: 60,
        truncateHandling: 'version',
        heartbeatIntervalSeconds: 0,
        walRetainedWarnMb: 1024,
        transactionSpillThresholdMb: 32,
      },
    ],
    [
      'LOG_BASED hygiene keys as strings',
      {
        ...base,
        truncate_handling: 'warn',
        heartbeat_interval_seconds: '5',
        wal_retained_warn_mb: '10',
        transaction_spill_threshold_mb: '1',
      },
      {
        truncateHandling: 'warn',
        heartbeatIntervalSeconds: 5,
        walRetainedWarnMb: 10,
        transactionSpillThresholdMb: 1,
      },
    ],
    [
      'fault handling defaults',
      base,
      { connectionRetries: 3, retryBackoffSeconds: 1, resnapshotOnSlotLoss: false },
    ],
    [
      'fault handling as strings',
      {
        ...base,
        connection_retries: '0',
        retry_backoff_seconds: '0.5',
        resnapshot_on_slot_loss: 'true',
      },
      { connectionRetries: 0, retryBackoffSeconds: 0.5, resnapshotOnSlotLoss: true },
    ],
    ['STATE interval default', base, { stateIntervalSeconds: 1 }],
    [
      'STATE interval as a string, 0 allowed',
      { ...base, state_interval_seconds: '0' },
      { stateIntervalSeconds: 0 },
    ],
    [
      'temporal policy default',
      base,
      { valuePolicy: { temporalOutOfRange: 'null', compositeAsObject: false } },
    ],
    [
      'temporal policy',
      { ...base, temporal_out_of_range: 'clamp' },
      { valuePolicy: { temporalOutOfRange: 'clamp', compositeAsObject: false } },
    ],
    [
      'composites as objects, as a string too',
      { ...base, composite_as_object: 'true' },
      { valuePolicy: { temporalOutOfRange: 'null', compositeAsObject: true } },
    ],
    [
      'flattening implies composites as objects',
      { ...base, flattening_enabled: true, flattening_max_depth: 1 },
      {
        valuePolicy: { temporalOutOfRange: 'null', compositeAsObject: true },
        flattening: { maxDepth: 1, separator: '__', maxKeyLength: 255 },
      },
    ],
    ['database wins over dbname', { database: 'a', dbname: 'b', username: 'u' }, { database: 'a' }],
    ['ssl true means require', { ...base, ssl: 'true' }, { ssl: { mode: 'require' } }],
    ['sslmode disable', { ...base, ssl: true, sslmode: 'disable' }, { ssl: null }],
    ['sslmode prefer stays prefer', { ...base, sslmode: 'prefer' }, { ssl: { mode: 'prefer' } }],
    ['sslmode allow stays allow', { ...base, sslmode: 'allow' }, { ssl: { mode: 'allow' } }],
    [
      'verify-full with PEM text',
      { ...base, sslmode: 'verify-full', ssl_ca: '-----BEGIN CERTIFICATE-----\nX' },
      { ssl: { mode: 'verify-full', ca: '-----BEGIN CERTIFICATE-----\nX' } },
    ],
  ])('%s', (_name, raw, expected) => {
    expect(normalizeConfig(raw)).toMatchObject(expected);
  });

  it.each([
    ['missing database', { username: 'u' }, /database/],
    ['missing username', { database: 'd' }, /username/],
    ['port out of range', { ...base, port: 70000 }, /port/],
    ['a negative STATE interval', { ...base, state_interval_seconds: -1 }, /state_interval/],
    ['verify-ca without a CA', { ...base, sslmode: 'verify-ca' }, /ssl_ca/],
    [
      'unreadable CA file',
      { ...base, sslmode: 'verify-ca', ssl_ca: '/nonexistent/ca.pem' },
      /ssl_ca.*\/nonexistent\/ca.pem/,
    ],
  ])('rejects %s', (_name, raw, message) => {
    expect(() => normalizeConfig(raw)).toThrow(message);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(normalizeConfig(base))).toBe(true);
  });

  it.each([
    ['mydb', 'tap_postgres_mydb'],
    ['My-DB.prod', 'tap_postgres_my_db_prod'],
    ['x'.repeat(80), `tap_postgres_${'x'.repeat(50)}`],
  ])('default slot for %s', (db, slot) => {
    expect(defaultSlotName(db)).toBe(slot);
  });
});

describe('defaultSnapshotParallelism', () => {
  it.each([
    [1, 1],
    [2, 1],
    [3, 2],
    [4, 3],
    [8, 4],
    [64, 4],
  ])('%i cores → %i connections', (cores, expected) => {
    expect(defaultSnapshotParallelism(cores)).toBe(expected);
  });
});
