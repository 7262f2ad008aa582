/**
 * Log sequence numbers: the one place that does LSN arithmetic.
 *
 * An LSN is an unsigned 64-bit byte position in the WAL. PostgreSQL prints it as two hex halves,
 * `hi/lo`, each without zero padding (`pg_lsn` output, `pg_current_wal_lsn()`); the replication
 * protocol sends it as a big-endian Int64. A JavaScript `number` holds integers exactly only up to
 * 2^53, so an LSN is a `bigint`, branded so that a plain bigint (an xid, a timestamp) cannot be
 * passed where an LSN is expected.
 *
 * @see https://www.postgresql.org/docs/current/datatype-pg-lsn.html
 */

export type Lsn = bigint & { readonly __brand: 'Lsn' };

/** Thrown for text or numbers that are not an LSN. */
export class InvalidLsnError extends Error {
  override readonly name = 'InvalidLsnError';
}

const MAX_LSN_VALUE = 0xffff_ffff_ffff_ffffn;

/** `0/0`: PostgreSQL's `InvalidXLogRecPtr`, "no position". */
export const INVALID_LSN = 0n as Lsn;

/** The largest LSN, `FFFFFFFF/FFFFFFFF`. */
export const MAX_LSN = MAX_LSN_VALUE as Lsn;

/**
 * Brands a bigint as an LSN after checking it fits in an unsigned 64-bit integer.
 *
 * @example lsnFromBigInt(0x16_b374d848n) // 16/B374D848
 */
export function lsnFromBigInt(value: bigint): Lsn {
  if (value < 0n || value > MAX_LSN_VALUE) {
    throw new InvalidLsnError(`LSN ${value} is outside the unsigned 64-bit range`);
  }
  return value as Lsn;
}

// Each half is a uint32 printed with %X; PostgreSQL's pg_lsn input accepts 1 to 8 hex digits per
// half, either case.
const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/**
 * Parses PostgreSQL's `hi/lo` text form.
 *
 * @example parseLsn('16/B374D848') === 0x16_b374_d848n
 * @throws InvalidLsnError when the text is not two 1–8 digit hex numbers separated by `/`.
 */
export function parseLsn(text: string): Lsn {
  const m = LSN_TEXT.exec(text);
  if (!m) {
    throw new InvalidLsnError(
      `invalid LSN ${JSON.stringify(text)}: expected two hex numbers of 1 to 8 digits, like 16/B374D848`,
    );
  }
  const hi = BigInt(`0x${m[1] ?? ''}`);
  const lo = BigInt(`0x${m[2] ?? ''}`);
  return ((hi << 32n) | lo) as Lsn;
}

/**
 * Prints an LSN the way PostgreSQL does: uppercase hex halves without zero padding.
 *
 * @example formatLsn(parseLsn('0/016b6c50')) === '0/16B6C50'
 */
export function formatLsn(lsn: Lsn): string {
  const hi = (lsn >> 32n).toString(16).toUpperCase();
  const lo = (lsn & 0xffff_ffffn).toString(16).toUpperCase();
  return `${hi}/${lo}`;
}

/**
 * Reads the integer a Singer state stores for an LSN (`lsn` bookmark, `(hi << 32) + lo`, the
 * convention of singer-io and pipelinewise tap-postgres). A decimal string is accepted so that a
 * value printed with all its digits is read exactly.
 *
 * @throws InvalidLsnError for negative, fractional, unsafe (> 2^53 − 1 as a `number`) or
 *   out-of-range values.
 */
export function lsnFromStateInt(n: number | bigint | string): Lsn {
  if (typeof n === 'number') {
    // A number above 2^53 − 1 may already have been rounded by JSON.parse: refuse it rather than
    // resume from a position that is not the one saved.
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new InvalidLsnError(
        `invalid LSN state value ${n}: expected a non-negative integer up to ${Number.MAX_SAFE_INTEGER}`,
      );
    }
    return BigInt(n) as Lsn;
  }
  if (typeof n === 'string') {
    if (!/^[0-9]+$/.test(n)) {
      throw new InvalidLsnError(
        `invalid LSN state value ${JSON.stringify(n)}: expected a decimal integer`,
      );
    }
    return lsnFromBigInt(BigInt(n));
  }
  return lsnFromBigInt(n);
}

/**
 * The integer a Singer state stores for an LSN, `(hi << 32) + lo`.
 *
 * @throws InvalidLsnError when the LSN is above `Number.MAX_SAFE_INTEGER` (about 2 PiB of WAL),
 *   where a JSON number would lose precision.
 */
export function lsnToStateInt(lsn: Lsn): number {
  if (lsn > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidLsnError(
      `LSN ${formatLsn(lsn)} is above ${Number.MAX_SAFE_INTEGER} and cannot be stored as a JSON number without losing precision`,
    );
  }
  return Number(lsn);
}

/** Orders two LSNs: negative, zero or positive, for `Array.prototype.sort`. */
export function compareLsn(a: Lsn, b: Lsn): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The larger of the given LSNs. */
export function maxLsn(first: Lsn, ...rest: readonly Lsn[]): Lsn {
  let max = first;
  for (const lsn of rest) if (lsn > max) max = lsn;
  return max;
}

/**
 * Reads an LSN sent as a big-endian unsigned Int64 (XLogRecPtr) in the replication protocol.
 *
 * @throws InvalidLsnError when fewer than 8 bytes remain at `offset`.
 */
export function readLsn(buf: Buffer, offset: number): Lsn {
  if (!Number.isInteger(offset) || offset < 0 || offset + 8 > buf.length) {
    throw new InvalidLsnError(
      `cannot read an 8-byte LSN at offset ${offset} of a ${buf.length}-byte buffer`,
    );
  }
  return buf.readBigUInt64BE(offset) as Lsn;
}

/** The smaller of the given LSNs. */
export function minLsn(first: Lsn, ...rest: readonly Lsn[]): Lsn {
  let min = first;
  for (const lsn of rest) if (lsn < min) min = lsn;
  return min;
}
