import type { Client } from 'pg';
import { serverAddress } from '../config/hosts';
import type { TapConfig } from '../config/tap-config';
import { RuntimeError } from '../errors';
import type { Logger } from '../log/logger';
import { connect, isTlsUnsupported } from './connect';

/** pg_hba.conf has no line for this connection: e.g. `hostssl` only, or `hostnossl` only. */
const HBA_REJECTED = '28000';

/**
 * A failure that the other transport might not meet: no TLS on the server, a TLS handshake that
 * failed, or pg_hba.conf refusing this kind of connection. Anything else (refused, unknown host,
 * wrong password) would fail the same way again.
 */
function transportRefused(e: unknown): boolean {
  if (isTlsUnsupported(e)) return true;
  const err = e instanceof RuntimeError && e.cause !== undefined ? e.cause : e;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  return code === HBA_REJECTED || code === 'EPROTO' || code.startsWith('ERR_SSL_');
}

function withTls(config: TapConfig, tls: boolean): TapConfig {
  return Object.freeze({
    ...config,
    ssl: tls && config.ssl ? Object.freeze({ ...config.ssl, mode: 'require' as const }) : null,
  });
}

export interface NegotiatedConnection {
  readonly client: Client;
  /** The config every further connection of the run uses: TLS or not is settled. */
  readonly config: TapConfig;
}

/**
 * The run's first connection. For sslmode prefer and allow it does what libpq does: prefer tries
 * TLS and, when the server does not offer it or pg_hba.conf refuses it, a plain connection; allow
 * tries the other way round. The outcome holds for the whole run, so the query, COPY, worker and
 * replication connections all go the same way and the fallback is reported once.
 */
export async function connectNegotiatingTls(
  config: TapConfig,
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<NegotiatedConnection> {
  const mode = config.ssl?.mode;
  if (mode !== 'prefer' && mode !== 'allow') return { client: await connect(config), config };
  const first = withTls(config, mode === 'prefer');
  const second = withTls(config, mode !== 'prefer');
  try {
    return { client: await connect(first), config: first };
  } catch (e) {
    if (!transportRefused(e)) throw e;
  }
  const client = await connect(second);
  const where = serverAddress(config);
  if (second.ssl === null) {
    log.warn(
      `sslmode ${mode}: TLS is not available at ${where}; connected without it, so this run's connections are unencrypted`,
    );
  } else {
    log.info(`sslmode ${mode}: ${where} requires TLS; this run's connections use it`);
  }
  return { client, config: second };
}
