import { RuntimeError } from '../errors';
import type { Logger } from '../log/logger';

/**
 * Failures that a new connection can cure: the server (or an administrator) ended the session,
 * the server is restarting, or the network dropped it. Everything else (SQL errors, privileges,
 * a missing slot) fails the run at once, as retrying would only repeat it.
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, fast or smart shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '55006', // object_in_use: the slot is still held by the walsender of the lost connection
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** pg reports a socket closed under it without a code. */
const TRANSIENT_MESSAGES =
  /Connection terminated|connection error and is not queryable|terminating connection/i;

export function isTransientConnectionError(e: unknown): boolean {
  const f = e as { code?: unknown; sqlState?: unknown; message?: unknown } | null;
  const code =
    e instanceof RuntimeError ? e.sqlState : typeof f?.code === 'string' ? f.code : undefined;
  if (code && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof f?.message === 'string' && !code && TRANSIENT_MESSAGES.test(f.message);
}

export interface RetryPolicy {
  /** Attempts after the first; 0 never retries. */
  readonly retries: number;
  /** Wait before the first retry; doubled for each further one, capped at MAX_BACKOFF_MS. */
  readonly backoffSeconds: number;
}

const MAX_BACKOFF_MS = 60_000;

export function backoffMs(policy: RetryPolicy, retry: number): number {
  return Math.min(MAX_BACKOFF_MS, policy.backoffSeconds * 1000 * 2 ** retry);
}

const describe = (e: unknown): string => {
  const f = e as { code?: unknown; message?: unknown };
  const msg = typeof f?.message === 'string' ? f.message : String(e);
  return typeof f?.code === 'string' ? `${msg} (${f.code})` : msg;
};

/**
 * Runs `attempt`; after a transient connection failure waits, calls `recover` (reconnect) and runs
 * `attempt` again, which resumes from the bookmarks the failed attempt left in memory. Recovery
 * failing transiently (the server still restarting) uses up a retry too. After the last retry the
 * failure propagates: the tap exits 1 and the last STATE it printed resumes the run.
 */
export async function withRetries<T>(
  what: string,
  policy: RetryPolicy,
  log: Logger,
  attempt: () => Promise<T>,
  recover: () => Promise<void>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  let needsRecovery = false;
  for (let retry = 0; ; retry += 1) {
    try {
      if (needsRecovery) await recover();
      needsRecovery = false;
      return await attempt();
    } catch (e) {
      if (!isTransientConnectionError(e) || retry >= policy.retries) throw e;
      const wait = backoffMs(policy, retry);
      log.warn(
        `${what}: connection lost: ${describe(e)}; reconnecting in ${wait / 1000} s (retry ${retry + 1} of ${policy.retries}), then resuming from the last bookmark`,
      );
      needsRecovery = true;
      await sleep(wait);
    }
  }
}
