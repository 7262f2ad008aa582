import fc from 'fast-check';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { clearSecrets, redact } from '../log/redact';
import {
  CONNECTION_SETTINGS,
  describeSources,
  resolveConnection,
  type ConnectionSource,
} from './connection-sources';
import { normalizeConfig } from './normalize-config';

const quiet = { warn: () => {} };

function resolve(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const warnings: string[] = [];
  const r = resolveConnection(config, env, { warn: (m) => warnings.push(m) });
  return { ...r, warnings };
}

const URL_ALL =
  'postgresql://url_user:url_pw@url-host:1111/url_db?sslmode=require&target_session_attrs=primary';
const ENV_ALL: NodeJS.ProcessEnv = {
  PGHOST: 'env-host',
  PGPORT: '2222',
  PGDATABASE: 'env_db',
  PGUSER: 'env_user',
  PGPASSWORD: 'env_pw',
  PGSSLMODE: 'prefer',
  PGTARGETSESSIONATTRS: 'standby',
};

describe('connection settings: config > sqlalchemy_url > PG* environment > defaults', () => {
  afterEach(() => clearSecrets());

  it.each<
    [
      string,
      Record<string, unknown>,
      NodeJS.ProcessEnv,
      Record<string, [unknown, ConnectionSource]>,
    ]
  >([
    [
      "ssl: true is not turned off by the environment's sslmode",
      { ssl: true },
      { PGSSLMODE: 'disable' },
      { sslmode: ['require', 'config'] },
    ],
    [
      "ssl: true keeps a URL's stronger sslmode",
      { ssl: 'true', sqlalchemy_url: 'postgresql://u@h/d?sslmode=verify-full' },
      {},
      { sslmode: ['verify-full', 'sqlalchemy_url'] },
    ],
    [
      'config keys alone',
      { host: 'cfg-host', port: 3333, dbname: 'cfg_db', user: 'cfg_user', password: 'cfg_pw' },
      {},
      {
        host: ['cfg-host', 'config'],
        port: [3333, 'config'],
        database: ['cfg_db', 'config'],
        username: ['cfg_user', 'config'],
        password: ['cfg_pw', 'config'],
      },
    ],
    [
      'every source: the config wins each setting it gives',
      { sqlalchemy_url: URL_ALL, host: 'cfg-host', username: 'cfg_user' },
      ENV_ALL,
      {
        host: ['cfg-host', 'config'],
        port: ['1111', 'sqlalchemy_url'],
        database: ['url_db', 'sqlalchemy_url'],
        username: ['cfg_user', 'config'],
        password: ['url_pw', 'sqlalchemy_url'],
        sslmode: ['require', 'sqlalchemy_url'],
        target_session_attrs: ['primary', 'sqlalchemy_url'],
      },
    ],
    [
      'the URL over the environment',
      { sqlalchemy_url: URL_ALL },
      ENV_ALL,
      {
        host: ['url-host', 'sqlalchemy_url'],
        port: ['1111', 'sqlalchemy_url'],
        database: ['url_db', 'sqlalchemy_url'],
        username: ['url_user', 'sqlalchemy_url'],
        password: ['url_pw', 'sqlalchemy_url'],
      },
    ],
    [
      'a URL without port nor password: those from the environment',
      { sqlalchemy_url: 'postgresql://u@h/d' },
      { PGPORT: '2222', PGPASSWORD: 'env_pw' },
      {
        host: ['h', 'sqlalchemy_url'],
        port: ['2222', 'environment'],
        username: ['u', 'sqlalchemy_url'],
        password: ['env_pw', 'environment'],
      },
    ],
    [
      'the environment alone',
      {},
      ENV_ALL,
      {
        host: ['env-host', 'environment'],
        port: ['2222', 'environment'],
        database: ['env_db', 'environment'],
        username: ['env_user', 'environment'],
        sslmode: ['prefer', 'environment'],
        target_session_attrs: ['standby', 'environment'],
      },
    ],
    [
      'nothing: host and port defaults',
      { database: 'd', username: 'u' },
      {},
      {
        host: [undefined, 'default'],
        port: [undefined, 'default'],
        sslmode: [undefined, 'default'],
      },
    ],
    [
      "ssl: true yields to any source's sslmode",
      { ssl: true },
      { PGSSLMODE: 'verify-full' },
      { sslmode: ['verify-full', 'environment'] },
    ],
    ["ssl: true alone is the config's", { ssl: true }, {}, { sslmode: [undefined, 'config'] }],
    [
      "MeltanoLabs' ssl_enable: ssl_mode defaults to verify-full",
      { ssl_enable: true, ssl_certificate_authority: '/ca.pem' },
      { PGSSLMODE: 'require' },
      { sslmode: ['verify-full', 'config'], ssl_ca: ['/ca.pem', 'config'] },
    ],
    [
      "MeltanoLabs' ssl_enable with ssl_mode",
      { ssl_enable: 'true', ssl_mode: 'require' },
      {},
      { sslmode: ['require', 'config'] },
    ],
    [
      "MeltanoLabs' client certificate",
      {
        ssl_client_certificate_enable: true,
        ssl_client_certificate: '/c.pem',
        ssl_client_private_key: '/k.pem',
      },
      { PGSSLCERT: '/env.pem' },
      { ssl_cert: ['/c.pem', 'config'], ssl_key: ['/k.pem', 'config'] },
    ],
    [
      "MeltanoLabs' client certificate: libpq's files by default",
      { ssl_client_certificate_enable: true },
      {},
      {
        ssl_cert: [join(homedir(), '.postgresql', 'postgresql.crt'), 'config'],
        ssl_key: [join(homedir(), '.postgresql', 'postgresql.key'), 'config'],
      },
    ],
    [
      'certificate paths from the URL and the environment',
      { sqlalchemy_url: 'postgresql://h/d?sslrootcert=/url-ca.pem' },
      { PGSSLROOTCERT: '/env-ca.pem', PGSSLCERT: '/env-c.pem', PGSSLKEY: '/env-k.pem' },
      {
        ssl_ca: ['/url-ca.pem', 'sqlalchemy_url'],
        ssl_cert: ['/env-c.pem', 'environment'],
        ssl_key: ['/env-k.pem', 'environment'],
      },
    ],
  ])('%s', (_, config, env, expected) => {
    const r = resolve(config, env);
    for (const [key, [value, source]] of Object.entries(expected)) {
      expect([key, r.merged[key], r.sources[key as keyof typeof r.sources]]).toEqual([
        key,
        value,
        source,
      ]);
    }
  });

  it('each setting comes from the strongest source that gives it (generated)', () => {
    const sourceSets = fc.subarray(['config', 'sqlalchemy_url', 'environment'] as const);
    const keys = ['host', 'port', 'database', 'username', 'password', 'sslmode'] as const;
    const urlParam: Record<(typeof keys)[number], string> = {
      host: 'host',
      port: 'port',
      database: 'dbname',
      username: 'user',
      password: 'password',
      sslmode: 'sslmode',
    };
    const value = (key: string, source: string) =>
      key === 'port'
        ? String(1000 + source.length)
        : key === 'sslmode'
          ? { config: 'verify-ca', sqlalchemy_url: 'require', environment: 'prefer' }[source]!
          : `${source}_${key}`;
    fc.assert(
      fc.property(
        fc.record(
          Object.fromEntries(keys.map((k) => [k, sourceSets])) as Record<
            (typeof keys)[number],
            fc.Arbitrary<Array<'config' | 'sqlalchemy_url' | 'environment'>>
          >,
        ),
        (given) => {
          const config: Record<string, unknown> = {};
          const env: NodeJS.ProcessEnv = {};
          const params: string[] = [];
          for (const key of keys) {
            const setting = CONNECTION_SETTINGS.find((s) => s.key === key)!;
            for (const source of given[key]) {
              const v = value(key, source);
              if (source === 'config') config[key] = v;
              if (source === 'environment') env[setting.env] = v;
              if (source === 'sqlalchemy_url')
                params.push(`${urlParam[key]}=${encodeURIComponent(v)}`);
            }
          }
          if (params.length > 0) config.sqlalchemy_url = `postgresql://?${params.join('&')}`;
          const r = resolveConnection(config, env, quiet);
          for (const key of keys) {
            const strongest = (['config', 'sqlalchemy_url', 'environment'] as const).find((s) =>
              given[key].includes(s),
            );
            if (strongest === undefined) {
              expect(r.merged[key]).toBeUndefined();
            } else {
              expect([key, r.sources[key], r.merged[key]]).toEqual([
                key,
                strongest,
                value(key, strongest),
              ]);
            }
          }
        },
      ),
    );
  });

  it('registers the password of every source as a secret', () => {
    resolve(
      { sqlalchemy_url: 'postgresql://u:url-secret@h/d', password: 'cfg-secret' },
      { PGPASSWORD: 'env-secret' },
    );
    expect(redact('url-secret cfg-secret env-secret')).toBe('*** *** ***');
  });

  it('names each source in one line, without any value', () => {
    const r = resolve(
      { sqlalchemy_url: 'postgresql://u:pw-123@url-host/d', database: 'cfg_db' },
      { PGPORT: '6000', PGPASSWORD: 'env-pw' },
    );
    const line = describeSources(r.sources);
    expect(line).toBe(
      'connection settings: database from the config; host, username, password from sqlalchemy_url; port (PGPORT) from the environment; sslmode from defaults',
    );
    expect(line).not.toMatch(/pw-123|env-pw|url-host|cfg_db/);
  });

  it("warns that MeltanoLabs' ssl_mode and client keys are ignored without their switches", () => {
    const r = resolve({ ssl_mode: 'require', ssl_client_certificate: '/c.pem' });
    expect(r.merged.sslmode).toBeUndefined();
    expect(r.merged.ssl_cert).toBeUndefined();
    expect(r.warnings).toEqual([
      "config key 'ssl_mode' is ignored unless 'ssl_enable' is true; use 'sslmode'",
      "config key 'ssl_client_certificate' is ignored unless 'ssl_client_certificate_enable' is true",
    ]);
  });

  it('normalises a config whose connection comes from the environment alone', () => {
    const r = resolve({}, ENV_ALL);
    const c = normalizeConfig(r.merged);
    expect(c).toMatchObject({
      host: 'env-host',
      port: 2222,
      database: 'env_db',
      username: 'env_user',
      password: 'env_pw',
      targetSessionAttrs: 'standby',
      ssl: { mode: 'prefer' },
    });
  });

  it('reads replication_slot_name as replication_slot (ours wins)', () => {
    const base = { database: 'd', username: 'u' };
    expect(normalizeConfig({ ...base, replication_slot_name: 'theirs' }).replicationSlot).toBe(
      'theirs',
    );
    expect(
      normalizeConfig({ ...base, replication_slot: 'ours', replication_slot_name: 'theirs' })
        .replicationSlot,
    ).toBe('ours');
  });

  it.each([
    ['replication_max_run_seconds', 'max_run_seconds', 'maxRunSeconds'],
    ['replication_idle_exit_seconds', 'logical_poll_total_seconds', 'logicalPollTotalSeconds'],
  ] as const)('reads %s as %s (ours wins)', (theirs, ours, field) => {
    const base = { database: 'd', username: 'u' };
    expect(normalizeConfig({ ...base, [theirs]: 600 })[field]).toBe(600);
    expect(normalizeConfig({ ...base, [theirs]: '600', [ours]: 30 })[field]).toBe(30);
  });
});
