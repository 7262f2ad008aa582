import { isTapError, RuntimeError, type TapError } from '../errors';

interface PgErrorFields {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
}

/**
 * SQLSTATE classes that retrying cannot fix: authentication (28), privileges (42501), undefined
 * objects (42P01 etc.). Later issues retry the rest.
 */
export function isPermanent(sqlState: string | undefined): boolean {
  return !!sqlState && (sqlState.startsWith('28') || sqlState.startsWith('42'));
}

/** A server or driver error as a RuntimeError: one line with SQLSTATE and the server's hint. */
export function asRuntimeError(e: unknown, context: string): TapError {
  if (isTapError(e)) return e;
  const f = e as PgErrorFields;
  const parts = [`${context}: ${f.message ?? String(e)}`];
  if (f.code) parts.push(`(SQLSTATE ${f.code})`);
  if (f.hint) parts.push(`hint: ${f.hint}`);
  return new RuntimeError(parts.join(' '), f.code);
}
