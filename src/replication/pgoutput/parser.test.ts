import { type Lsn, parseLsn } from '../lsn';
import { BufferReader, PgoutputParseError } from './buffer-reader';
import type { PgoutputMessage } from './messages';
import { parsePgoutput } from './parser';
import { PgoutputBuilder as B, tupleOf } from './testing/pgoutput-builder';

// Above 2^31: read as a signed Int32 these become negative (pg-logical-replication's mistake).
const BIG_XID = 4_000_000_000;
const BIG_OID = 4_000_000_001;
const STREAM_XID = 4_000_000_002;

const LSN_A: Lsn = parseLsn('16/B374D848');
const LSN_B: Lsn = parseLsn('16/B374D880');
// 2024-01-02 03:04:05.123456 UTC, in µs since 2000-01-01.
const TIME = 757_479_845_123_456n;

/** Parses `buf` and checks that it decodes to exactly `expected` (no extra or missing keys). */
function testForMessage(buf: Buffer, expected: PgoutputMessage, inStream = false): void {
  expect(parsePgoutput(buf, { inStream })).toStrictEqual(expected);
}

interface Fixture {
  readonly name: string;
  readonly buf: Buffer;
  readonly expected: PgoutputMessage;
  readonly inStream?: boolean;
}

const unicodeRow = tupleOf(
  '1',
  'héllo wörld ✓ 日本語 🐘',
  null,
  undefined,
  Buffer.from([0, 1, 255]),
);

const fixtures: readonly Fixture[] = [
  {
    name: 'Begin',
    buf: B.message('B').int64(LSN_A).int64(TIME).int32(BIG_XID).build(),
    expected: { tag: 'begin', finalLsn: LSN_A, commitTime: TIME, xid: BIG_XID },
  },
  {
    name: 'Commit',
    buf: B.message('C').int8(0).int64(LSN_A).int64(LSN_B).int64(TIME).build(),
    expected: { tag: 'commit', flags: 0, commitLsn: LSN_A, endLsn: LSN_B, commitTime: TIME },
  },
  {
    name: 'Commit before 2000 and at the last LSN',
    buf: B.message('C')
      .int8(0)
      .int64(LSN_A)
      .int64(2n ** 64n - 1n)
      .int64(-1n)
      .build(),
    expected: {
      tag: 'commit',
      flags: 0,
      commitLsn: LSN_A,
      endLsn: parseLsn('FFFFFFFF/FFFFFFFF'),
      commitTime: -1n,
    },
  },
  {
    name: 'Origin',
    buf: B.message('O').int64(LSN_B).cstring('node_ä').build(),
    expected: { tag: 'origin', originLsn: LSN_B, name: 'node_ä' },
  },
  {
    name: 'Relation',
    buf: B.message('R')
      .int32(BIG_OID)
      .cstring('Schéma')
      .cstring('tâble ✓')
      .byte('f')
      .int16(3)
      .int8(1)
      .cstring('id')
      .int32(20)
      .int32(-1)
      .int8(0)
      .cstring('näme')
      .int32(1043)
      .int32(14)
      .int8(0)
      .cstring('mood')
      .int32(BIG_XID)
      .int32(-1)
      .build(),
    expected: {
      tag: 'relation',
      relationId: BIG_OID,
      schema: 'Schéma',
      name: 'tâble ✓',
      replicaIdentity: 'f',
      columns: [
        { isKey: true, flags: 1, name: 'id', typeOid: 20, typmod: -1 },
        { isKey: false, flags: 0, name: 'näme', typeOid: 1043, typmod: 14 },
        { isKey: false, flags: 0, name: 'mood', typeOid: BIG_XID, typmod: -1 },
      ],
    },
  },
  {
    name: 'Relation without columns',
    buf: B.message('R').int32(16384).cstring('public').cstring('empty').byte('n').int16(0).build(),
    expected: {
      tag: 'relation',
      relationId: 16384,
      schema: 'public',
      name: 'empty',
      replicaIdentity: 'n',
      columns: [],
    },
  },
  {
    name: 'Type',
    buf: B.message('Y').int32(BIG_OID).cstring('public').cstring('mood').build(),
    expected: { tag: 'type', typeOid: BIG_OID, schema: 'public', name: 'mood' },
  },
  {
    name: 'Insert with unicode text, NULL, unchanged TOAST and binary',
    buf: B.message('I').int32(BIG_OID).byte('N').tuple(unicodeRow).build(),
    expected: {
      tag: 'insert',
      relationId: BIG_OID,
      newTuple: [
        { kind: 'text', text: '1' },
        { kind: 'text', text: 'héllo wörld ✓ 日本語 🐘' },
        { kind: 'null' },
        { kind: 'unchanged' },
        { kind: 'binary', bytes: Buffer.from([0, 1, 255]) },
      ],
    },
  },
  {
    name: 'Insert of an empty string',
    buf: B.message('I').int32(1).byte('N').tuple(tupleOf('')).build(),
    expected: { tag: 'insert', relationId: 1, newTuple: [{ kind: 'text', text: '' }] },
  },
  {
    name: 'Update with only the new tuple',
    buf: B.message('U').int32(16384).byte('N').tuple(tupleOf('1', undefined)).build(),
    expected: { tag: 'update', relationId: 16384, newTuple: tupleOf('1', undefined) },
  },
  {
    name: 'Update with the old key',
    buf: B.message('U')
      .int32(16384)
      .byte('K')
      .tuple(tupleOf('1', null))
      .byte('N')
      .tuple(tupleOf('2', 'b'))
      .build(),
    expected: {
      tag: 'update',
      relationId: 16384,
      key: tupleOf('1', null),
      newTuple: tupleOf('2', 'b'),
    },
  },
  {
    name: 'Update with the old row (REPLICA IDENTITY FULL)',
    buf: B.message('U')
      .int32(16384)
      .byte('O')
      .tuple(tupleOf('1', 'long value'))
      .byte('N')
      .tuple(tupleOf('1', undefined))
      .build(),
    expected: {
      tag: 'update',
      relationId: 16384,
      old: tupleOf('1', 'long value'),
      newTuple: tupleOf('1', undefined),
    },
  },
  {
    name: 'Delete with the key',
    buf: B.message('D').int32(BIG_OID).byte('K').tuple(tupleOf('7', null)).build(),
    expected: { tag: 'delete', relationId: BIG_OID, key: tupleOf('7', null) },
  },
  {
    name: 'Delete with the old row',
    buf: B.message('D').int32(16384).byte('O').tuple(tupleOf('7', 'ß')).build(),
    expected: { tag: 'delete', relationId: 16384, old: tupleOf('7', 'ß') },
  },
  {
    name: 'Truncate CASCADE RESTART IDENTITY of two tables',
    buf: B.message('T').int32(2).int8(3).int32(16384).int32(BIG_OID).build(),
    expected: {
      tag: 'truncate',
      options: { cascade: true, restartIdentity: true },
      relationIds: [16384, BIG_OID],
    },
  },
  {
    name: 'Truncate RESTART IDENTITY',
    buf: B.message('T').int32(1).int8(2).int32(16384).build(),
    expected: {
      tag: 'truncate',
      options: { cascade: false, restartIdentity: true },
      relationIds: [16384],
    },
  },
  {
    name: 'Message, transactional',
    buf: B.message('M')
      .int8(1)
      .int64(LSN_A)
      .cstring('tap')
      .int32(5)
      .raw(Buffer.from([0x68, 0x69, 0x00, 0xff, 0x21]))
      .build(),
    expected: {
      tag: 'message',
      transactional: true,
      flags: 1,
      lsn: LSN_A,
      prefix: 'tap',
      content: Buffer.from([0x68, 0x69, 0x00, 0xff, 0x21]),
    },
  },
  {
    name: 'Message, not transactional, empty',
    buf: B.message('M').int8(0).int64(LSN_B).cstring('').int32(0).build(),
    expected: {
      tag: 'message',
      transactional: false,
      flags: 0,
      lsn: LSN_B,
      prefix: '',
      content: Buffer.alloc(0),
    },
  },
  {
    name: 'StreamStart, first segment',
    buf: B.message('S').int32(STREAM_XID).int8(1).build(),
    expected: { tag: 'streamStart', xid: STREAM_XID, first: true },
  },
  {
    name: 'StreamStart, later segment',
    buf: B.message('S').int32(STREAM_XID).int8(0).build(),
    expected: { tag: 'streamStart', xid: STREAM_XID, first: false },
  },
  {
    name: 'StreamStop',
    buf: B.message('E').build(),
    expected: { tag: 'streamStop' },
  },
  {
    name: 'StreamCommit',
    buf: B.message('c').int32(STREAM_XID).int8(0).int64(LSN_A).int64(LSN_B).int64(TIME).build(),
    expected: {
      tag: 'streamCommit',
      xid: STREAM_XID,
      flags: 0,
      commitLsn: LSN_A,
      endLsn: LSN_B,
      commitTime: TIME,
    },
  },
  {
    name: 'StreamAbort (protocol 2)',
    buf: B.message('A').int32(STREAM_XID).int32(BIG_XID).build(),
    expected: { tag: 'streamAbort', xid: STREAM_XID, subXid: BIG_XID },
  },
  // Streamed changes: the same messages with a leading xid.
  {
    name: 'Relation in a stream',
    inStream: true,
    buf: B.message('R')
      .int32(STREAM_XID)
      .int32(16384)
      .cstring('public')
      .cstring('t')
      .byte('d')
      .int16(1)
      .int8(1)
      .cstring('id')
      .int32(23)
      .int32(-1)
      .build(),
    expected: {
      tag: 'relation',
      xid: STREAM_XID,
      relationId: 16384,
      schema: 'public',
      name: 't',
      replicaIdentity: 'd',
      columns: [{ isKey: true, flags: 1, name: 'id', typeOid: 23, typmod: -1 }],
    },
  },
  {
    name: 'Type in a stream',
    inStream: true,
    buf: B.message('Y').int32(STREAM_XID).int32(BIG_OID).cstring('s').cstring('e').build(),
    expected: { tag: 'type', xid: STREAM_XID, typeOid: BIG_OID, schema: 's', name: 'e' },
  },
  {
    name: 'Insert in a stream',
    inStream: true,
    buf: B.message('I').int32(STREAM_XID).int32(BIG_OID).byte('N').tuple(unicodeRow).build(),
    expected: { tag: 'insert', xid: STREAM_XID, relationId: BIG_OID, newTuple: unicodeRow },
  },
  {
    name: 'Update in a stream',
    inStream: true,
    buf: B.message('U')
      .int32(STREAM_XID)
      .int32(16384)
      .byte('O')
      .tuple(tupleOf('1'))
      .byte('N')
      .tuple(tupleOf('2'))
      .build(),
    expected: {
      tag: 'update',
      xid: STREAM_XID,
      relationId: 16384,
      old: tupleOf('1'),
      newTuple: tupleOf('2'),
    },
  },
  {
    name: 'Delete in a stream',
    inStream: true,
    buf: B.message('D').int32(STREAM_XID).int32(16384).byte('K').tuple(tupleOf('1')).build(),
    expected: { tag: 'delete', xid: STREAM_XID, relationId: 16384, key: tupleOf('1') },
  },
  {
    name: 'Truncate in a stream',
    inStream: true,
    buf: B.message('T').int32(STREAM_XID).int32(1).int8(1).int32(16384).build(),
    expected: {
      tag: 'truncate',
      xid: STREAM_XID,
      options: { cascade: true, restartIdentity: false },
      relationIds: [16384],
    },
  },
  {
    name: 'Message in a stream',
    inStream: true,
    buf: B.message('M')
      .int32(STREAM_XID)
      .int8(1)
      .int64(LSN_A)
      .cstring('p')
      .int32(1)
      .raw(Buffer.from('x'))
      .build(),
    expected: {
      tag: 'message',
      xid: STREAM_XID,
      transactional: true,
      flags: 1,
      lsn: LSN_A,
      prefix: 'p',
      content: Buffer.from('x'),
    },
  },
];

describe('parsePgoutput', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    testForMessage(f.buf, f.expected, f.inStream ?? false);
  });

  it('reads StreamAbort with the abort LSN and time of protocol 4', () => {
    testForMessage(
      B.message('A').int32(STREAM_XID).int32(STREAM_XID).int64(LSN_B).int64(TIME).build(),
      {
        tag: 'streamAbort',
        xid: STREAM_XID,
        subXid: STREAM_XID,
        abortLsn: LSN_B,
        abortTime: TIME,
      },
    );
  });

  it('reads xids and OIDs above 2^31 as unsigned', () => {
    const begin = parsePgoutput(B.message('B').int64(0n).int64(0n).int32(0xffff_ffff).build(), {
      inStream: false,
    });
    expect(begin).toMatchObject({ tag: 'begin', xid: 4_294_967_295 });
    const insert = parsePgoutput(B.message('I').int32(BIG_OID).byte('N').tuple([]).build(), {
      inStream: false,
    });
    expect(insert).toMatchObject({ tag: 'insert', relationId: 4_000_000_000 + 1 });
  });

  it('keeps decoded values when the input buffer is reused', () => {
    const buf = B.message('I')
      .int32(1)
      .byte('N')
      .tuple(tupleOf('a', Buffer.from('b')))
      .build();
    const msg = parsePgoutput(buf, { inStream: false });
    buf.fill(0);
    expect(msg).toStrictEqual({
      tag: 'insert',
      relationId: 1,
      newTuple: tupleOf('a', Buffer.from('b')),
    });
  });

  describe('errors', () => {
    it.each<[string, Buffer, RegExp]>([
      [
        'an unknown tag',
        B.message('Z').int32(1).build(),
        /unknown pgoutput message tag 'Z' \(0x5a\)/,
      ],
      ['a non-printable tag', Buffer.from([0x01]), /unknown pgoutput message tag 0x01$/],
      // Two-phase commit (protocol 3) is not requested by the tap.
      ['a Begin Prepare', B.message('b').int64(0n).build(), /unknown pgoutput message tag 'b'/],
      ['an empty buffer', Buffer.alloc(0), /empty pgoutput message/],
      [
        'trailing bytes',
        B.message('E').int8(0).build(),
        /1 unexpected trailing bytes after a 'E' \(0x45\) message/,
      ],
      [
        'an unknown column kind',
        B.message('I').int32(1).byte('N').int16(1).byte('x').build(),
        /tuple column 1 of 1: unknown value kind 'x'/,
      ],
      [
        'an Insert without N',
        B.message('I').int32(1).byte('O').tuple([]).build(),
        /insert: expected tuple marker 'N' \(0x4e\), got 'O'/,
      ],
      [
        'an Update with a bad marker',
        B.message('U').int32(1).byte('X').tuple([]).build(),
        /update: expected tuple marker 'K', 'O' or 'N', got 'X'/,
      ],
      [
        'an Update with K but no N',
        B.message('U').int32(1).byte('K').tuple([]).byte('K').tuple([]).build(),
        /update: expected tuple marker 'N'/,
      ],
      [
        'a Delete with N',
        B.message('D').int32(1).byte('N').tuple([]).build(),
        /delete: expected tuple marker 'K' or 'O', got 'N'/,
      ],
      [
        'an unknown replica identity',
        B.message('R').int32(1).cstring('s').cstring('t').byte('x').int16(0).build(),
        /relation s\.t: unknown replica identity 'x'/,
      ],
      [
        'a string without its NUL',
        B.message('O').int64(0n).raw(Buffer.from('abc')).build(),
        /no NUL terminator for the string at offset 9 of a 12-byte message/,
      ],
      [
        'a text value longer than the message',
        B.message('I')
          .int32(1)
          .byte('N')
          .int16(1)
          .byte('t')
          .int32(10)
          .raw(Buffer.from('abc'))
          .build(),
        /message truncated: reading text \(10 bytes\) at offset 13 of a 16-byte message/,
      ],
      [
        'a streamed Insert read as not streamed',
        B.message('I').int32(STREAM_XID).int32(16384).byte('N').tuple([]).build(),
        /insert: expected tuple marker 'N'/,
      ],
    ])('rejects %s', (_name, buf, message) => {
      expect(() => parsePgoutput(buf, { inStream: false })).toThrow(PgoutputParseError);
      expect(() => parsePgoutput(buf, { inStream: false })).toThrow(message);
    });

    it('rejects a non-streamed Insert read as streamed', () => {
      const buf = B.message('I').int32(16384).byte('N').tuple(tupleOf('1')).build();
      expect(() => parsePgoutput(buf, { inStream: true })).toThrow(PgoutputParseError);
    });

    // Every proper prefix of every message must fail loudly rather than decode to garbage.
    it.each(fixtures.map((f) => [f.name, f] as const))('rejects %s cut at any offset', (_n, f) => {
      for (let cut = 0; cut < f.buf.length; cut++) {
        expect(() =>
          parsePgoutput(f.buf.subarray(0, cut), { inStream: f.inStream ?? false }),
        ).toThrow(PgoutputParseError);
      }
    });
  });
});

describe('BufferReader', () => {
  it('reads each wire type big-endian and advances', () => {
    const buf = new B()
      .int8(0xfe)
      .int16(-2)
      .int32(-3)
      .int32(0xffff_fffe)
      .int64(-4n)
      .cstring('é')
      .raw(Buffer.from('xyz'))
      .raw(Buffer.from('日本', 'utf8'))
      .build();
    const r = new BufferReader(buf);
    expect(r.uint8()).toBe(0xfe);
    expect(r.int16()).toBe(-2);
    expect(r.int32()).toBe(-3);
    expect(r.uint32()).toBe(0xffff_fffe);
    expect(r.int64()).toBe(-4n);
    expect(r.cstring()).toBe('é');
    expect(r.bytes(3)).toEqual(Buffer.from('xyz'));
    expect(r.text(6)).toBe('日本');
    expect(r.remaining).toBe(0);
    expect(() => r.uint8()).toThrow(
      /message truncated: reading an Int8 \(1 bytes\) at offset 31 of a 31-byte message/,
    );
  });

  it('does not move the cursor when a read fails', () => {
    const r = new BufferReader(Buffer.from([1, 2, 3]));
    expect(() => r.int32()).toThrow(PgoutputParseError);
    expect(r.offset).toBe(0);
    expect(r.int16()).toBe(0x0102);
  });
});
