import { parseLsn, type Lsn } from '../lsn';
import type { PgoutputMessage } from '../pgoutput/messages';
import { commitTimeMicros } from './commit-time';
import { addTablesOption, wal2jsonOptions } from './start-options';
import type { TableLayout } from './table-layout';
import { Wal2jsonTranslator } from './translator';

const FRAME: Lsn = parseLsn('0/1526800');
// 2026-11-23 14:17:01.289569 UTC in µs since 2000-01-01.
const TIME = 848_758_621_289_569n;
const TX = '"xid":725,"timestamp":"2026-11-23 14:17:01.289569+00"';

const TABLE: TableLayout = {
  relationId: 16384,
  schema: 'public',
  table: 't',
  replicaIdentity: 'd',
  columns: [
    { name: 'id', typeOid: 23, typmod: -1, isKey: true, fixedLength: true },
    { name: 'n', typeOid: 1700, typmod: 786438, isKey: false, fixedLength: false },
    { name: 'big', typeOid: 25, typmod: -1, isKey: false, fixedLength: false },
  ],
};

const RELATION: PgoutputMessage = {
  tag: 'relation',
  relationId: 16384,
  schema: 'public',
  name: 't',
  replicaIdentity: 'd',
  columns: [
    { isKey: true, flags: 1, name: 'id', typeOid: 23, typmod: -1 },
    { isKey: false, flags: 0, name: 'n', typeOid: 1700, typmod: 786438 },
    { isKey: false, flags: 0, name: 'big', typeOid: 25, typmod: -1 },
  ],
};

/** The table as a change written under REPLICA IDENTITY FULL shows it. */
const RELATION_FULL: PgoutputMessage = {
  ...RELATION,
  replicaIdentity: 'f',
  columns: RELATION.columns.map((c) => ({ ...c, isKey: true, flags: 1 })),
};

const col = (name: string, typeOid: number, value: string) =>
  `{"name":"${name}","type":"t${typeOid}","typeoid":${typeOid},"value":${value}}`;
const change = (action: string, table: string, parts: string) =>
  `{"action":"${action}",${TX},"lsn":"0/1526698","schema":"public","table":"${table}",${parts}}`;
const ID1 = col('id', 23, '1');

function translate(
  messages: readonly string[],
  opts: { baselines?: readonly TableLayout[] } = {},
): PgoutputMessage[] {
  const t = new Wal2jsonTranslator({ baselines: opts.baselines ?? [TABLE] });
  return messages.flatMap((m) => t.translate(Buffer.from(m, 'utf8'), FRAME));
}

const text = (t: string) => ({ kind: 'text', text: t }) as const;
const NULL = { kind: 'null' } as const;
const UNCHANGED = { kind: 'unchanged' } as const;

describe('Wal2jsonTranslator', () => {
  it.each<[string, readonly string[], readonly PgoutputMessage[]]>([
    [
      'Insert: a Relation first, then values as text, numbers exact',
      [
        change(
          'I',
          't',
          `"columns":[${ID1},${col('n', 1700, '12345678901234567890.123456789')},${col('big', 25, '"x"')}]`,
        ),
      ],
      [
        RELATION,
        {
          tag: 'insert',
          relationId: 16384,
          newTuple: [text('1'), text('12345678901234567890.123456789'), text('x')],
        },
      ],
    ],
    [
      'Update leaving a TOAST column out: unchanged, never null',
      [change('U', 't', `"columns":[${ID1},${col('n', 1700, '2')}],"identity":[${ID1}]`)],
      [RELATION, { tag: 'update', relationId: 16384, newTuple: [text('1'), text('2'), UNCHANGED] }],
    ],
    [
      'Update changing the key: the old key',
      [
        change(
          'U',
          't',
          `"columns":[${col('id', 23, '2')},${col('n', 1700, '2')},${col('big', 25, '"b"')}],"identity":[${ID1}]`,
        ),
      ],
      [
        RELATION,
        {
          tag: 'update',
          relationId: 16384,
          key: [text('1'), NULL, NULL],
          newTuple: [text('2'), text('2'), text('b')],
        },
      ],
    ],
    [
      'Update with REPLICA IDENTITY FULL: the old row, to merge unchanged values from',
      [
        change(
          'U',
          't',
          `"columns":[${ID1},${col('n', 1700, '2')}],"identity":[${ID1},${col('n', 1700, '1')},${col('big', 25, '"old"')}]`,
        ),
      ],
      [
        RELATION_FULL,
        {
          tag: 'update',
          relationId: 16384,
          old: [text('1'), text('1'), text('old')],
          newTuple: [text('1'), text('2'), UNCHANGED],
        },
      ],
    ],
    [
      'Delete: the key',
      [change('D', 't', `"identity":[${ID1}]`)],
      [RELATION, { tag: 'delete', relationId: 16384, key: [text('1'), NULL, NULL] }],
    ],
    [
      'Delete with REPLICA IDENTITY FULL: the old row',
      [change('D', 't', `"identity":[${ID1},${col('n', 1700, 'null')},${col('big', 25, '"b"')}]`)],
      [RELATION_FULL, { tag: 'delete', relationId: 16384, old: [text('1'), NULL, text('b')] }],
    ],
    [
      // The session's catalog says the primary key; the change was written while the identity
      // was an index on `n`: its Relation says so, and the next change's restores the key.
      'Changes written under other replica identities than the session starts with',
      [
        change('D', 't', `"identity":[${col('n', 1700, '5')}]`),
        change('D', 't', `"identity":[${col('n', 1700, '6')}]`),
        change('D', 't', `"identity":[${ID1}]`),
      ],
      [
        {
          ...RELATION,
          replicaIdentity: 'i',
          columns: RELATION.columns.map((c) => ({
            ...c,
            isKey: c.name === 'n',
            flags: c.name === 'n' ? 1 : 0,
          })),
        },
        { tag: 'delete', relationId: 16384, key: [NULL, text('5'), NULL] },
        { tag: 'delete', relationId: 16384, key: [NULL, text('6'), NULL] },
        { ...RELATION, replicaIdentity: 'i' },
        { tag: 'delete', relationId: 16384, key: [text('1'), NULL, NULL] },
      ],
    ],
    [
      'Truncate',
      [`{"action":"T",${TX},"lsn":"0/15291B8","schema":"public","table":"t"}`],
      [
        RELATION,
        {
          tag: 'truncate',
          options: { cascade: false, restartIdentity: false },
          relationIds: [16384],
        },
      ],
    ],
    [
      'Logical message',
      [
        '{"action":"M","xid":null,"timestamp":null,"lsn":"0/1","transactional":false,"prefix":"p","content":"héllo"}',
      ],
      [
        {
          tag: 'message',
          transactional: false,
          flags: 0,
          lsn: parseLsn('0/1'),
          prefix: 'p',
          content: Buffer.from('héllo'),
        },
      ],
    ],
  ])('%s', (_name, input, expected) => {
    expect(translate(input)).toEqual(expected);
  });

  const BEGIN = `{"action":"B",${TX},"lsn":"0/15267D0","nextlsn":"0/1526800"}`;
  const COMMIT = `{"action":"C",${TX},"lsn":"0/15267D0","nextlsn":"0/1526800"}`;

  it('a transaction: Begin (final LSN, commit time), its changes, Commit (end LSN = nextlsn)', () => {
    const out = translate([BEGIN, change('D', 't', `"identity":[${ID1}]`), COMMIT]);
    expect(out.map((m) => m.tag)).toEqual(['begin', 'relation', 'delete', 'commit']);
    expect(out[0]).toEqual({
      tag: 'begin',
      finalLsn: parseLsn('0/15267D0'),
      commitTime: TIME,
      xid: 725,
    });
    expect(out[3]).toEqual({
      tag: 'commit',
      flags: 0,
      commitLsn: parseLsn('0/15267D0'),
      endLsn: parseLsn('0/1526800'),
      commitTime: TIME,
    });
  });

  it('a transaction without a change of the selected tables is left out, as pgoutput does', () => {
    const nonTransactional =
      '{"action":"M","xid":null,"timestamp":null,"lsn":"0/1","transactional":false,"prefix":"p","content":""}';
    expect(translate([BEGIN, COMMIT])).toEqual([]);
    expect(translate([BEGIN, nonTransactional, COMMIT]).map((m) => m.tag)).toEqual(['message']);
    const transactional = nonTransactional.replace('"transactional":false', '"transactional":true');
    expect(translate([BEGIN, transactional, COMMIT]).map((m) => m.tag)).toEqual([
      'begin',
      'message',
      'commit',
    ]);
  });

  it.each<[string, string, number, string | null]>([
    ['boolean true', 'true', 16, 't'],
    ['boolean false', 'false', 16, 'f'],
    ['bytea gets its \\x back', '"deadbeef"', 17, '\\xdeadbeef'],
    ['bigint beyond 2^53', '9007199254740993', 20, '9007199254740993'],
    ['double', '0.1', 701, '0.1'],
    ['numeric array', '"{1.10,99999999999999999999.5}"', 1231, '{1.10,99999999999999999999.5}'],
    ['json', '"{\\"a\\": [1, 2.50]}"', 114, '{"a": [1, 2.50]}'],
    ['timestamptz', '"2024-01-02 03:04:05.123456+00"', 1184, '2024-01-02 03:04:05.123456+00'],
    ['a domain over numeric comes quoted', '"19.99"', 99999, '19.99'],
    ['integer null', 'null', 23, null],
    // wal2json's spelling of NaN and ±Infinity; the tap emits null for them either way.
    ['numeric NaN', 'null', 1700, null],
  ])('value: %s', (_name, json, typeOid, expected) => {
    const out = translate([change('I', 'v', `"columns":[${ID1},${col('x', typeOid, json)}]`)], {
      baselines: [],
    });
    const ins = out[1] as { newTuple: readonly { kind: string; text?: string }[] };
    expect(ins.newTuple[1]).toEqual(expected === null ? NULL : text(expected));
  });

  it('announces a table once, and again only when its columns change', () => {
    const ins = (cols: string) => change('I', 't', `"columns":[${cols}]`);
    const all = `${ID1},${col('n', 1700, '1')},${col('big', 25, '"x"')}`;
    const out = translate([
      ins(all),
      ins(all),
      // An UPDATE without the TOAST column is not a new layout.
      change('U', 't', `"columns":[${ID1},${col('n', 1700, '2')}],"identity":[${ID1}]`),
      // ADD COLUMN
      ins(`${all},${col('extra', 23, '5')}`),
      // An UPDATE without a fixed-length column: it was dropped.
      change(
        'U',
        't',
        `"columns":[${ID1},${col('n', 1700, '2')},${col('big', 25, '"x"')}],"identity":[${ID1}]`,
      ),
    ]);
    const relations = out.filter((m) => m.tag === 'relation');
    expect(relations.map((r) => r.columns.map((c) => c.name))).toEqual([
      ['id', 'n', 'big'],
      ['id', 'n', 'big', 'extra'],
      ['id', 'n', 'big'],
    ]);
    expect(new Set(relations.map((r) => r.relationId))).toEqual(new Set([16384]));
    // The new column's modifier is unknown; the known ones keep theirs.
    expect(relations[1]!.columns.map((c) => c.typmod)).toEqual([-1, 786438, -1, -1]);
  });

  it('a table the catalog did not describe gets a stable synthetic id and the columns it shows', () => {
    const out = translate(
      [
        change('I', 'other', `"columns":[${ID1}]`),
        change('I', 'other', `"columns":[${col('id', 23, '2')}]`),
      ],
      { baselines: [] },
    );
    expect(out.map((m) => m.tag)).toEqual(['relation', 'insert', 'insert']);
    const rel = out[0] as { relationId: number; name: string };
    expect(rel.name).toBe('other');
    expect((out[2] as { relationId: number }).relationId).toBe(rel.relationId);
  });

  describe('a partitioned table', () => {
    const PARTS = [
      { leaf: { schema: 'public', table: 't_a' }, root: { schema: 'public', table: 't' } },
      { leaf: { schema: 'public', table: 't_b_1' }, root: { schema: 'public', table: 't' } },
    ];
    const BEGIN = `{"action":"B",${TX},"lsn":"0/1526700","nextlsn":"0/1526800"}`;
    const COMMIT = `{"action":"C",${TX},"lsn":"0/1526700","nextlsn":"0/1526800"}`;
    const truncate = (table: string) =>
      `{"action":"T",${TX},"lsn":"0/1526698","schema":"public","table":"${table}"}`;
    const run = (messages: readonly string[]) => {
      const t = new Wal2jsonTranslator({ baselines: [TABLE], partitions: PARTS });
      return { out: messages.flatMap((m) => t.translate(Buffer.from(m, 'utf8'), FRAME)) };
    };

    it("a leaf's changes come under the root's relation", () => {
      const { out } = run([
        BEGIN,
        change('I', 't_b_1', `"columns":[${ID1},${col('n', 1700, '2')},${col('big', 25, '"x"')}]`),
        COMMIT,
      ]);
      expect(out.map((m) => m.tag)).toEqual(['begin', 'relation', 'insert', 'commit']);
      expect((out[2] as { relationId: number }).relationId).toBe(16384);
    });

    it('every leaf, or the parent, truncated: one truncate of the root', () => {
      for (const names of [
        ['t_a', 't_b_1'],
        ['t', 't_a', 't_b_1'],
      ]) {
        const { out } = run([BEGIN, ...names.map(truncate), COMMIT]);
        expect(out.filter((m) => m.tag === 'truncate')).toEqual([
          { tag: 'truncate', options: expect.anything(), relationIds: [16384] },
        ]);
      }
    });

    it('some leaves truncated: at the commit, a truncate of the root naming those partitions', () => {
      const { out } = run([BEGIN, truncate('t_a'), COMMIT]);
      expect(out.map((m) => m.tag)).toEqual(['begin', 'relation', 'truncate', 'commit']);
      expect(out.filter((m) => m.tag === 'truncate')).toEqual([
        expect.objectContaining({ relationIds: [16384], partitions: ['public.t_a'] }),
      ]);
    });
  });

  it('rejects output it does not understand', () => {
    expect(() => translate(['{"action":"X"}'])).toThrow(/unknown action "X"/);
    expect(() => translate(['{"action":"I","xid":1}'])).toThrow(/unexpected wal2json output/);
    expect(() => translate(['not json'])).toThrow(/invalid JSON/);
  });
});

describe('commitTimeMicros', () => {
  it.each<[string, bigint]>([
    ['2026-11-23 14:17:01.289569+00', TIME],
    ['2026-11-23 14:17:01.29+00', 848_758_621_290_000n],
    ['2026-11-23 19:47:01.289569+05:30', TIME],
    ['2000-01-01 00:00:00+00', 0n],
    ['1999-12-31 23:59:59.999999+00', -1n],
  ])('%s', (t, us) => {
    expect(commitTimeMicros(t)).toBe(us);
  });
});

describe('wal2json start options', () => {
  it('escapes the characters add-tables treats specially', () => {
    expect(
      addTablesOption([
        { schema: 'public', table: 't' },
        { schema: 'my.schema', table: 'a,b*c d\\e' },
      ]),
    ).toBe('public.t,my\\.schema.a\\,b\\*c\\ d\\\\e');
  });

  it('asks for format 2 with everything the translator reads', () => {
    const o = Object.fromEntries(
      wal2jsonOptions({
        plugin: 'wal2json',
        tables: [{ schema: 's', table: 't' }],
      }),
    );
    expect(o).toEqual({
      'format-version': '2',
      'include-transaction': 'true',
      'include-xids': 'true',
      'include-timestamp': 'true',
      'include-lsn': 'true',
      'include-types': 'true',
      'include-type-oids': 'true',
      'add-tables': 's.t',
    });
  });
});
