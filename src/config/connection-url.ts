import { InputError } from '../errors';

/** The config keys a connection URL gives. */
export interface UrlSettings {
  host?: string;
  port?: string;
  user?: string;
  password?: string;
  dbname?: string;
  sslmode?: string;
  target_session_attrs?: string;
}

/** Query parameters that are config keys too; libpq's others have no meaning for the tap. */
const PARAMS = ['sslmode', 'target_session_attrs'] as const;

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new InputError(`config key 'sqlalchemy_url': bad percent-encoding`);
  }
};

/**
 * A libpq / SQLAlchemy connection URL (`postgresql://`, `postgres://`,
 * `postgresql+psycopg2://` and other `+driver` forms): `user:password@host:port,host:port/db?…`.
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
    if (user) settings.user = decode(user);
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
      ports.push(h[2] || '5432');
    }
    settings.host = hosts.join(',');
    settings.port = ports.every((p) => p === ports[0]) ? ports[0] : ports.join(',');
  }
  if (path) settings.dbname = decode(path);
  const ignored: string[] = [];
  for (const pair of (query ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1).replace(/\+/g, ' '));
    if ((PARAMS as readonly string[]).includes(key)) {
      settings[key as (typeof PARAMS)[number]] = value;
    } else if (key === 'host') {
      settings.host = value;
    } else if (key === 'port') {
      settings.port = value;
    } else if (key === 'dbname') {
      settings.dbname = value;
    } else if (key === 'user') {
      settings.user = value;
    } else {
      ignored.push(key);
    }
  }
  return { settings, ignored };
}
