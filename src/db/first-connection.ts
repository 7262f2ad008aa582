import type { Client } from 'pg';
import type { TapConfig } from '../config/tap-config';
import { serverAddress, type HostPort, type TargetSessionAttrs } from '../config/hosts';
import { RuntimeError } from '../errors';
import type { Logger } from '../log/logger';
import { connectNegotiatingTls, type NegotiatedConnection } from './tls-fallback';

/** What a server is, for target_session_attrs. */
export interface SessionRole {
  /** A standby (recovery). */
  readonly standby: boolean;
  /** New transactions are read-only (a standby, or default_transaction_read_only). */
  readonly readOnly: boolean;
}

async function sessionRole(client: Client): Promise<SessionRole> {
  // Every value arrives as text (src/db/connect.ts).
  const r = await client.query<{ standby: string; read_only: string }>(
    `SELECT pg_catalog.pg_is_in_recovery()::text AS standby,
            current_setting('transaction_read_only') AS read_only`,
  );
  const row = r.rows[0]!;
  return { standby: row.standby === 'true', readOnly: row.read_only === 'on' };
}

/** libpq's rules, one pass; `prefer-standby` is two passes (standby, then any). */
export function accepts(attrs: Exclude<TargetSessionAttrs, 'prefer-standby'>, role: SessionRole) {
  switch (attrs) {
    case 'any':
      return true;
    case 'read-write':
      return !role.readOnly;
    case 'read-only':
      return role.readOnly;
    case 'primary':
      return !role.standby;
    case 'standby':
      return role.standby;
  }
}

function describeRole(role: SessionRole): string {
  return role.standby ? 'a standby' : role.readOnly ? 'a read-only primary' : 'the primary';
}

const where = serverAddress;

/** The config for one server of the host list (its tunnel's local end, when there is one). */
export function configForHost(config: TapConfig, h: HostPort): TapConfig {
  const { remote: _, ...rest } = config;
  return Object.freeze({
    ...rest,
    host: h.host,
    port: h.port,
    ...(h.remote ? { remote: h.remote } : {}),
  });
}

/**
 * The run's first connection: TLS settled as sslmode says (src/db/tls-fallback.ts) and, with a
 * host list, the server settled as target_session_attrs says, trying the hosts in order as libpq
 * does. The config it returns names that one server, so every other connection of the run (COPY
 * workers, the replication connection, reconnects) reaches the same one; a run after a failover
 * finds the new primary without a config change.
 */
export async function connectFirst(
  config: TapConfig,
  log: Pick<Logger, 'info' | 'warn'>,
): Promise<NegotiatedConnection> {
  const attrs = config.targetSessionAttrs;
  if (config.hosts.length <= 1 && attrs === 'any') return connectNegotiatingTls(config, log);
  const passes: Array<Exclude<TargetSessionAttrs, 'prefer-standby'>> =
    attrs === 'prefer-standby' ? ['standby', 'any'] : [attrs];
  const refused: string[] = [];
  const unreachable = new Set<string>();
  for (const pass of passes) {
    for (const h of config.hosts) {
      if (unreachable.has(where(h))) continue;
      const candidate = configForHost(config, h);
      let conn: NegotiatedConnection;
      try {
        conn = await connectNegotiatingTls(candidate, log);
      } catch (e) {
        unreachable.add(where(h));
        refused.push(`${where(h)}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      const role = await sessionRole(conn.client).catch(async (e: unknown) => {
        await conn.client.end().catch(() => {});
        throw e;
      });
      if (accepts(pass, role)) {
        if (config.hosts.length > 1) {
          log.info(
            `connected to ${where(h)}, ${describeRole(role)} (target_session_attrs ${attrs})`,
          );
        }
        return conn;
      }
      await conn.client.end().catch(() => {});
      if (pass === passes[passes.length - 1]) refused.push(`${where(h)} is ${describeRole(role)}`);
    }
  }
  throw new RuntimeError(
    `no server of the host list is ${attrs === 'read-write' ? 'read-write' : attrs} (target_session_attrs): ${refused.join('; ')}`,
  );
}
