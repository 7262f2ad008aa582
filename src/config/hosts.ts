import { InputError } from '../errors';

/** One server of the `host` list. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
  /** With an SSH tunnel, `host:port` is its local end and this the server behind it. */
  readonly remote?: HostPort;
}

/** `host:port` of the server itself, also when the connection goes through an SSH tunnel. */
export function serverAddress(h: HostPort): string {
  const server = h.remote ?? h;
  return `${server.host}:${server.port}`;
}

/**
 * libpq's target_session_attrs: which server of a host list a run settles on. `read-write` and
 * `primary` find the primary after a failover without a config change; `prefer-standby` reads
 * from a standby when one is up.
 */
export const TARGET_SESSION_ATTRS = [
  'any',
  'read-write',
  'read-only',
  'primary',
  'standby',
  'prefer-standby',
] as const;
export type TargetSessionAttrs = (typeof TARGET_SESSION_ATTRS)[number];

function list(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const items = Array.isArray(v) ? v.map(String) : String(v).split(',');
  return items.map((s) => s.trim());
}

function portOf(text: string): number {
  const port = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(`config key 'port' must be between 1 and 65535 (got ${text || "''"})`);
  }
  return port;
}

/**
 * `host` as libpq reads it: one name, or several separated by commas (or a JSON array); `port`
 * one number for every host, or one per host in the same order.
 */
export function hostList(host: unknown, port: unknown): HostPort[] {
  const hosts = list(host) ?? ['localhost'];
  if (hosts.some((h) => h === '')) {
    throw new InputError(`config key 'host' has an empty entry (got '${hosts.join(',')}')`);
  }
  const ports = (list(port) ?? ['5432']).map(portOf);
  if (ports.length !== 1 && ports.length !== hosts.length) {
    throw new InputError(
      `config key 'port' lists ${ports.length} ports for ${hosts.length} hosts: give one port, or one per host`,
    );
  }
  return hosts.map((h, i) => ({ host: h, port: ports.length === 1 ? ports[0]! : ports[i]! }));
}

/**
 * The default: `standby` when the config asks to read from one (read_only_standby), else `any`
 * for one server (nothing to choose) and `read-write` for a list.
 */
export function targetSessionAttrsOf(
  v: unknown,
  hosts: readonly HostPort[],
  readOnlyStandby = false,
): TargetSessionAttrs {
  if (typeof v === 'string') return v as TargetSessionAttrs;
  if (readOnlyStandby) return 'standby';
  return hosts.length > 1 ? 'read-write' : 'any';
}
