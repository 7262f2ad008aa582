import { Wal2jsonParseError } from './messages';

/** PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;

// timestamptz_to_str with DateStyle ISO: `2026-11-23 14:17:01.29325+00`, fraction trimmed, an
// offset of hours[:minutes[:seconds]], ` BC` for years before 1.
const TIMESTAMPTZ =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/;

/**
 * A wal2json commit `timestamp` as microseconds since 2000-01-01 UTC: the unit pgoutput's Begin
 * and Commit carry, so both plugins feed the same time formatting.
 */
export function commitTimeMicros(text: string): bigint {
  const m = TIMESTAMPTZ.exec(text);
  if (!m) throw new Wal2jsonParseError(`unexpected wal2json timestamp '${text}'`);
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os, bc] = m;
  const year = bc ? 1 - Number(y) : Number(y);
  const date = new Date(0);
  date.setUTCFullYear(year, Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const offsetSeconds =
    (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0));
  const ms = BigInt(date.getTime() - offsetSeconds * 1000 - PG_EPOCH_MS);
  return ms * 1000n + BigInt((frac ?? '').padEnd(6, '0'));
}
