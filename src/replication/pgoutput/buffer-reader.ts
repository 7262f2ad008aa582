import { type Lsn, readLsn } from '../lsn';

/** Thrown when a pgoutput message is malformed: cut short, or with an unknown code. */
export class PgoutputParseError extends Error {
  override readonly name = 'PgoutputParseError';
}

/**
 * A cursor over one message. Every read checks the bounds first: a message cut short throws a
 * {@link PgoutputParseError} instead of returning `undefined`, zeros or a partial string.
 *
 * Integers are big-endian ("network byte order"), as everywhere in the PostgreSQL protocol.
 *
 * @see https://www.postgresql.org/docs/current/protocol-message-types.html
 */
export class BufferReader {
  #offset: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
  ) {
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }

  /** Bytes left after the cursor. */
  get remaining(): number {
    return this.buf.length - this.#offset;
  }

  #take(n: number, what: string): number {
    const at = this.#offset;
    if (n < 0 || at + n > this.buf.length) {
      throw new PgoutputParseError(
        `message truncated: reading ${what} (${n} bytes) at offset ${at} of a ${this.buf.length}-byte message`,
      );
    }
    this.#offset = at + n;
    return at;
  }

  uint8(): number {
    return this.buf.readUInt8(this.#take(1, 'an Int8'));
  }

  int16(): number {
    return this.buf.readInt16BE(this.#take(2, 'an Int16'));
  }

  int32(): number {
    return this.buf.readInt32BE(this.#take(4, 'an Int32'));
  }

  /** OIDs and xids are unsigned 32-bit: reading them as int32 turns 4000000000 into -294967296. */
  uint32(): number {
    return this.buf.readUInt32BE(this.#take(4, 'a UInt32'));
  }

  /** A signed Int64, e.g. a TimestampTz (µs since 2000-01-01, negative before it). */
  int64(): bigint {
    return this.buf.readBigInt64BE(this.#take(8, 'an Int64'));
  }

  /** An XLogRecPtr: unsigned 64-bit. */
  lsn(): Lsn {
    return readLsn(this.buf, this.#take(8, 'an LSN'));
  }

  /** A NUL-terminated UTF-8 string (the protocol's `String`). */
  cstring(): string {
    const start = this.#offset;
    const end = this.buf.indexOf(0, start);
    if (end < 0) {
      throw new PgoutputParseError(
        `message truncated: no NUL terminator for the string at offset ${start} of a ${this.buf.length}-byte message`,
      );
    }
    this.#offset = end + 1;
    return this.buf.toString('utf8', start, end);
  }

  /** `n` bytes, copied so that the result does not pin or alias the (possibly pooled) input. */
  bytes(n: number): Buffer {
    const at = this.#take(n, 'bytes');
    return Buffer.from(this.buf.subarray(at, at + n));
  }

  /** `n` bytes decoded as UTF-8: the server converts text to client_encoding, UTF8 for node-postgres. */
  text(n: number): string {
    const at = this.#take(n, 'text');
    return this.buf.toString('utf8', at, at + n);
  }
}
