import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log/logger';
import { registerSecret } from '../log/redact';
import { parseConnectionUrl, type UrlSettings } from './connection-url';

/** Where a connection setting's value came from, strongest first. */
export type ConnectionSource = 'config' | 'sqlalchemy_url' | 'environment' | 'default';

/** One connection setting: its config key, the aliases a config may use, its libpq variable. */
interface ConnectionSetting {
  readonly key: keyof UrlSettings;
  readonly aliases: readonly string[];
  readonly env: string;
}

/**
 * The settings a connection is made of. Each one is taken, independently of the others, from
 * the first source that gives it: the config's keys, then `sqlalchemy_url`, then libpq's
 * environment variables, then the default. libpq itself lets explicit parameters win over its
 * environment; a key written in the config wins over the URL so that a shared URL can be
 * completed or corrected per run (a password kept apart, another host).
 */
export const CONNECTION_SETTINGS: readonly ConnectionSetting[] = [
  { key: 'host', aliases: [], env: 'PGHOST' },
  { key: 'port', aliases: [], env: 'PGPORT' },
  { key: 'database', aliases: ['dbname'], env: 'PGDATABASE' },
  { key: 'username', aliases: ['user'], env: 'PGUSER' },
  { key: 'password', aliases: [], env: 'PGPASSWORD' },
  { key: 'sslmode', aliases: [], env: 'PGSSLMODE' },
  { key: 'ssl_ca', aliases: ['ssl_certificate_authority'], env: 'PGSSLROOTCERT' },
  { key: 'ssl_cert', aliases: [], env: 'PGSSLCERT' },
  { key: 'ssl_key', aliases: [], env: 'PGSSLKEY' },
  { key: 'target_session_attrs', aliases: [], env: 'PGTARGETSESSIONATTRS' },
];

type Raw = Record<string, unknown>;

const given = (v: unknown) => v !== undefined && v !== null && v !== '';

/**
 * MeltanoLabs tap-postgres's TLS keys as ours, with its rules: `ssl_mode` (default verify-full)
 * and the CA count only with `ssl_enable`; the client certificate and key only with
 * `ssl_client_certificate_enable` (default: libpq's files in ~/.postgresql). Our own keys win.
 */
function meltanoLabsTls(merged: Raw, log: Pick<Logger, 'warn'>): Raw {
  const out: Raw = {};
  if (merged.ssl_enable === true || merged.ssl_enable === 'true') {
    if (!given(merged.sslmode)) out.sslmode = merged.ssl_mode ?? 'verify-full';
  } else if (given(merged.ssl_mode) && !given(merged.sslmode)) {
    log.warn(`config key 'ssl_mode' is ignored unless 'ssl_enable' is true; use 'sslmode'`);
  }
  const clientCert =
    merged.ssl_client_certificate_enable === true ||
    merged.ssl_client_certificate_enable === 'true';
  if (clientCert) {
    const dir = join(homedir(), '.postgresql');
    if (!given(merged.ssl_cert))
      out.ssl_cert = merged.ssl_client_certificate ?? join(dir, 'postgresql.crt');
    if (!given(merged.ssl_key))
      out.ssl_key = merged.ssl_client_private_key ?? join(dir, 'postgresql.key');
  } else {
    for (const k of ['ssl_client_certificate', 'ssl_client_private_key']) {
      if (given(merged[k]))
        log.warn(`config key '${k}' is ignored unless 'ssl_client_certificate_enable' is true`);
    }
  }
  return out;
}

function fromConfig(merged: Raw, tls: Raw, s: ConnectionSetting): unknown {
  for (const k of [s.key, ...s.aliases]) if (given(merged[k])) return merged[k];
  return tls[s.key];
}

export interface ResolvedConnection {
  /** The config with every connection setting under its own key, whatever its source. */
  readonly merged: Raw;
  /** The source of each setting that has a value (a setting no source gives is absent). */
  readonly sources: Readonly<Partial<Record<keyof UrlSettings, ConnectionSource>>>;
}

/**
 * Applies the precedence (config > sqlalchemy_url > PG* environment > default) to every
 * connection setting. `ssl` (a boolean) is a shorthand that only counts when no source names an
 * sslmode. Every password seen is registered as a secret, whichever source wins.
 */
export function resolveConnection(
  config: Readonly<Raw>,
  env: NodeJS.ProcessEnv,
  log: Pick<Logger, 'warn'>,
): ResolvedConnection {
  const merged: Raw = { ...config };
  let url: UrlSettings = {};
  if (typeof merged.sqlalchemy_url === 'string') {
    registerSecret(merged.sqlalchemy_url);
    const parsed = parseConnectionUrl(merged.sqlalchemy_url);
    for (const key of parsed.ignored) {
      log.warn(`sqlalchemy_url: parameter '${key}' has no meaning for tap-postgres; ignored`);
    }
    url = parsed.settings;
  }
  registerSecret(url.password);
  registerSecret(env.PGPASSWORD);
  const tls = meltanoLabsTls(merged, log);
  const sources: Partial<Record<keyof UrlSettings, ConnectionSource>> = {};
  for (const s of CONNECTION_SETTINGS) {
    const ownValue = fromConfig(merged, tls, s);
    const envValue = env[s.env];
    const [value, source]: [unknown, ConnectionSource | undefined] = given(ownValue)
      ? [ownValue, 'config']
      : given(url[s.key])
        ? [url[s.key], 'sqlalchemy_url']
        : given(envValue)
          ? [envValue, 'environment']
          : [undefined, undefined];
    if (source === undefined) continue;
    merged[s.key] = value;
    sources[s.key] = source;
  }
  // `ssl: true` is the config's own word: a URL's or PGSSLMODE's weaker mode (disable, allow,
  // prefer) must not turn TLS off under it, while a stronger one (verify-ca, verify-full) stays.
  const sslOn = merged.ssl === true || merged.ssl === 'true';
  if (
    sslOn &&
    sources.sslmode !== undefined &&
    sources.sslmode !== 'config' &&
    ['disable', 'allow', 'prefer'].includes(String(merged.sslmode))
  ) {
    merged.sslmode = 'require';
    sources.sslmode = 'config';
  }
  if (sources.host === undefined) sources.host = 'default';
  if (sources.port === undefined) sources.port = 'default';
  if (sources.sslmode === undefined)
    sources.sslmode = merged.ssl === true || merged.ssl === 'true' ? 'config' : 'default';
  registerSecret(typeof merged.password === 'string' ? merged.password : undefined);
  return { merged, sources };
}

const LABELS: Record<ConnectionSource, string> = {
  config: 'the config',
  sqlalchemy_url: 'sqlalchemy_url',
  environment: 'the environment',
  default: 'defaults',
};

/** One line naming each setting's source (never a value: the password is among them). */
export function describeSources(sources: ResolvedConnection['sources']): string {
  const bySource = new Map<ConnectionSource, string[]>();
  for (const s of CONNECTION_SETTINGS) {
    const source = sources[s.key];
    if (source === undefined) continue;
    const name = source === 'environment' ? `${s.key} (${s.env})` : s.key;
    bySource.set(source, [...(bySource.get(source) ?? []), name]);
  }
  const parts = (['config', 'sqlalchemy_url', 'environment', 'default'] as const)
    .filter((src) => bySource.has(src))
    .map((src) => `${bySource.get(src)!.join(', ')} from ${LABELS[src]}`);
  return `connection settings: ${parts.join('; ')}`;
}
