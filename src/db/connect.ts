import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Client, type ClientConfig } from 'pg';
import { serverAddress } from '../config/hosts';
import type { TapConfig } from '../config/tap-config';
import { RuntimeError } from '../errors';
import { disableIdleSessionTimeout, sessionOptions } from './session-settings';

/**
 * Every value stays PostgreSQL's text: pg's global type parsers turn timestamps into local-zone
 * millisecond Dates and numerics into floats, and they are process-global. A per-client `types`
 * keeps the whole conversion in src/values/.
 */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

/** pg accepts `replication: 'database'` (a walsender connection); @types/pg does not list it. */
export type TapClientConfig = ClientConfig & { replication?: 'database' };

/**
 * verify-ca checks the chain but, like libpq, not the host name. Through an SSH tunnel the
 * socket's host is the tunnel's local end: SNI and verify-full's host check use the server's
 * own name instead (SNI never carries an IP address).
 */
function tlsIdentity(config: TapConfig): {
  servername?: string;
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
} {
  if (config.ssl?.mode === 'verify-ca') return { checkServerIdentity: () => undefined };
  const remote = config.remote?.host;
  if (remote === undefined) return {};
  return {
    ...(isIP(remote) === 0 ? { servername: remote } : {}),
    checkServerIdentity: (_host, cert) => checkServerIdentity(remote, cert),
  };
}

export function clientConfig(
  config: TapConfig,
  extra: Partial<TapClientConfig> = {},
): TapClientConfig {
  // allow tries a plain connection first, prefer TLS first (src/db/tls-fallback.ts tries the other).
  const ssl =
    config.ssl && config.ssl.mode !== 'allow'
      ? {
          rejectUnauthorized: config.ssl.mode === 'verify-ca' || config.ssl.mode === 'verify-full',
          ...(config.ssl.ca ? { ca: config.ssl.ca } : {}),
          ...(config.ssl.cert ? { cert: config.ssl.cert } : {}),
          ...(config.ssl.key ? { key: config.ssl.key } : {}),
          ...tlsIdentity(config),
        }
      : false;
  return {
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.username,
    password: config.password,
    ssl,
    application_name: 'tap-postgres',
    options: sessionOptions(),
    types: TEXT_TYPES,
    connectionTimeoutMillis: 30_000,
    ...extra,
  };
}

/** Node's codes for a certificate chain that does not lead to the configured CA. */
const UNTRUSTED_CERT_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

/** pg's error when the server answers the TLS request with "no"; it carries no code. */
const NO_TLS_MESSAGE = 'The server does not support SSL connections';

/** The server does not offer TLS at all (as opposed to refusing this client or its certificate). */
export function isTlsUnsupported(e: unknown): boolean {
  const err = e instanceof RuntimeError && e.cause !== undefined ? e.cause : e;
  return err instanceof Error && err.message === NO_TLS_MESSAGE;
}

/** A connection failure as one line that says what to check; never includes the password. */
export function describeConnectError(config: TapConfig, e: unknown): RuntimeError {
  const err = e as NodeJS.ErrnoException & { code?: string; message?: string };
  const where = serverAddress(config);
  const host = (config.remote ?? config).host;
  const code = err.code ?? '';
  const why = isTlsUnsupported(e)
    ? `the server at ${where} does not accept TLS connections (sslmode ${config.ssl?.mode ?? 'require'}): turn on ssl in the server's postgresql.conf, or set sslmode to prefer to fall back to an unencrypted connection`
    : code === 'ECONNREFUSED'
      ? `connection refused at ${where}: is PostgreSQL running and listening there?`
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `host '${host}' not found: check 'host'`
        : code === 'ETIMEDOUT'
          ? `timed out connecting to ${where}`
          : code === 'ERR_TLS_CERT_ALTNAME_INVALID'
            ? `the server's TLS certificate does not name host '${host}' (sslmode verify-full): connect through a name the certificate lists, or use sslmode verify-ca`
            : UNTRUSTED_CERT_CODES.has(code)
              ? `the server's TLS certificate is not trusted (${code}): check that 'ssl_ca' is the CA that signed it`
              : code === '28P01'
                ? `password authentication failed for user '${config.username}': check 'username' and 'password'`
                : code === '28000'
                  ? `the server refused user '${config.username}' (pg_hba.conf or role): ${err.message ?? ''}`
                  : code === '3D000'
                    ? `database '${config.database}' does not exist: check 'database'`
                    : `${err.message ?? String(e)}`;
  const wrapped = new RuntimeError(`cannot connect to PostgreSQL: ${why}`, code || undefined);
  // Kept so that sslmode prefer / allow can tell why the attempt failed.
  wrapped.cause = e;
  return wrapped;
}

export async function connect(
  config: TapConfig,
  extra: Partial<TapClientConfig> = {},
): Promise<Client> {
  const client = new Client(clientConfig(config, extra));
  // A dropped connection later in the run surfaces as a query error; an unhandled 'error' event
  // would crash the process with a stack trace instead.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw describeConnectError(config, e);
  }
  try {
    await disableIdleSessionTimeout(client);
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
  return client;
}

/**
 * A walsender connection (`replication=database`): the replication protocol's commands
 * (CREATE_REPLICATION_SLOT with an exported snapshot, ALTER_REPLICATION_SLOT, TIMELINE_HISTORY)
 * and plain SQL. The caller ends it.
 */
export function connectReplication(config: TapConfig): Promise<Client> {
  return connect(config, { replication: 'database' });
}
