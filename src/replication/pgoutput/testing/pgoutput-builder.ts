/**
 * Builds pgoutput messages for tests, field by field in the order of PostgreSQL's "Logical
 * Replication Message Formats", so that a fixture reads like the documentation instead of a hex
 * dump.
 *
 * @see https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import type { Tuple, TupleValue } from '../messages';

export class PgoutputBuilder {
  readonly #chunks: Buffer[] = [];

  /** Starts a message with its one-letter code. */
  static message(code: string): PgoutputBuilder {
    return new PgoutputBuilder().byte(code);
  }

  /** Byte1: one ASCII character. */
  byte(c: string): this {
    if (c.length !== 1) throw new Error(`byte(): expected one character, got ${JSON.stringify(c)}`);
    return this.int8(c.charCodeAt(0));
  }

  int8(n: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(n);
    return this.raw(b);
  }

  int16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return this.raw(b);
  }

  /** Int32, written as unsigned when above 2^31 − 1 (OIDs, xids), signed otherwise (typmod). */
  int32(n: number): this {
    const b = Buffer.alloc(4);
    if (n > 0x7fff_ffff) b.writeUInt32BE(n);
    else b.writeInt32BE(n);
    return this.raw(b);
  }

  /** Int64, written as unsigned when above 2^63 − 1 (LSNs), signed otherwise (timestamps). */
  int64(n: bigint): this {
    const b = Buffer.alloc(8);
    if (n > 0x7fff_ffff_ffff_ffffn) b.writeBigUInt64BE(n);
    else b.writeBigInt64BE(n);
    return this.raw(b);
  }

  /** String: UTF-8 bytes, then NUL. */
  cstring(s: string): this {
    return this.raw(Buffer.from(s, 'utf8')).int8(0);
  }

  raw(b: Buffer): this {
    this.#chunks.push(b);
    return this;
  }

  /** TupleData: Int16 column count, then per column its kind and, for 't'/'b', Int32 length + bytes. */
  tuple(values: Tuple): this {
    this.int16(values.length);
    for (const v of values) this.#value(v);
    return this;
  }

  #value(v: TupleValue): void {
    switch (v.kind) {
      case 'null':
        this.byte('n');
        return;
      case 'unchanged':
        this.byte('u');
        return;
      case 'text': {
        const bytes = Buffer.from(v.text, 'utf8');
        this.byte('t').int32(bytes.length).raw(bytes);
        return;
      }
      case 'binary':
        this.byte('b').int32(v.bytes.length).raw(v.bytes);
        return;
    }
  }

  build(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

/** Tuple values, briefly: `null` → n, `undefined` → u, string → t, Buffer → b. */
export function tupleOf(...values: readonly (string | Buffer | null | undefined)[]): Tuple {
  return values.map((v): TupleValue => {
    if (v === null) return { kind: 'null' };
    if (v === undefined) return { kind: 'unchanged' };
    if (typeof v === 'string') return { kind: 'text', text: v };
    return { kind: 'binary', bytes: v };
  });
}
