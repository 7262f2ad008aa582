import { InputError } from '../errors';

/** What a connection URL gives, under the tap's config key names. */
export interface UrlSettings {
  host?: string;
  port?: string;
  username?: string;
  password?: string;
  database?: string;
  sslmode?: string;
  ssl_ca?: string;
  ssl_cert?: string;
  ssl_key?: string;
  target_session_attrs?: string;
}

/** libpq's query parameters that are tap settings, and the config key each one sets. */
const PARAMS: Readonly<Record<string, keyof UrlSettings>> = {
  host: 'host',
  port: 'port',
  user: 'username',
  password: 'password',
  dbname: 'database',
  sslmode: 'sslmode',
  sslrootcert: 'ssl_ca',
  sslcert: 'ssl_cert',
  sslkey: 'ssl_key',
  target_session_attrs: 'target_session_attrs',
};

/** asyncpg's and some drivers' `ssl=` parameter: a libpq sslmode, or a boolean. */
function sslParam(value: string): string {
  if (value === 'true') return 'require';
  if (value === 'false') return 'disable';
  return value;
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new InputError(`config key 'sqlalchemy_url': bad percent-encoding`);
  }
};

/**
 * A libpq / SQLAlchemy connection URL (`postgresql://`, `postgres://`,
 * `postgresql+psycopg2://`, `+psycopg`, `+asyncpg` and other `+driver` forms):
 * `user:password@host:port,host:port/db?…`; query parameters as libpq names them (sslrootcert,
 * sslcert and sslkey are file paths).
 * Hand-parsed because WHATWG URL rejects libpq's host lists. Error messages never repeat the URL,
 * which holds the password.
 */
export function parseConnectionUrl(url: string): { settings: UrlSettings; ignored: string[] } {
  const m =
    /^(postgres|postgresql)(\+[A-Za-z0-9_]+)?:\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/.exec(
      url.trim(),
    );
  if (!m) {
    throw new InputError(
      `config key 'sqlalchemy_url' is not a PostgreSQL URL (postgresql://user:password@host:port/database?sslmode=…)`,
    );
  }
  const [, , , userinfo, hostpart, path, query] = m;
  const settings: UrlSettings = {};
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (user) settings.username = decode(user);
    if (colon >= 0) settings.password = decode(userinfo.slice(colon + 1));
  }
  if (hostpart) {
    const hosts: string[] = [];
    const ports: string[] = [];
    for (const entry of hostpart.split(',')) {
      const h = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(entry);
      if (!h || h[1] === '') {
        throw new InputError(
          `config key 'sqlalchemy_url': a host of the URL is empty or malformed`,
        );
      }
      hosts.push(decode(h[1]!.replace(/^\[|\]$/g, '')));
      ports.push(h[2] ?? '');
    }
    settings.host = hosts.join(',');
    // A URL without any port leaves the port to the other sources (PGPORT, the default).
    if (ports.some((p) => p !== '')) {
      const filled = ports.map((p) => p || '5432');
      settings.port = filled.every((p) => p === filled[0]) ? filled[0] : filled.join(',');
    }
  }
  if (path) settings.database = decode(path);
  const ignored: string[] = [];
  for (const pair of (query ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1).replace(/\+/g, ' '));
    const ours = Object.prototype.hasOwnProperty.call(PARAMS, key) ? PARAMS[key] : undefined;
    if (ours) settings[ours] = value;
    else if (key === 'ssl') settings.sslmode = sslParam(value);
    else ignored.push(key);
  }
  return { settings, ignored };
}
