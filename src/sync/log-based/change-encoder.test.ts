import type { RelationMessage, Tuple } from '../../replication/pgoutput/messages';
import { ChangeEncoder, type LogStreamTarget } from './change-encoder';

const target: LogStreamTarget = {
  tapStreamId: 'public-docs',
  schemaName: 'public',
  tableName: 'docs',
  deselected: new Set(['secret']),
  keyProperties: ['id'],
  generated: new Set(),
};

const relation: RelationMessage = {
  tag: 'relation',
  relationId: 4_000_000_000,
  schema: 'public',
  name: 'docs',
  replicaIdentity: 'd',
  columns: ['id', 'secret', 'body', 'amount'].map((name) => ({
    name,
    isKey: name === 'id',
    flags: name === 'id' ? 1 : 0,
    typeOid: 25,
    typmod: -1,
  })),
};

const t = (...values: Array<string | null | 'U'>): Tuple =>
  values.map((v) =>
    v === null ? { kind: 'null' } : v === 'U' ? { kind: 'unchanged' } : { kind: 'text', text: v },
  );

describe('ChangeEncoder', () => {
  const encoder = new ChangeEncoder([target]);
  encoder.relation(relation);
  encoder.relation({ ...relation, relationId: 7, name: 'other' });

  it.each([
    [
      'an insert, without the deselected column',
      {
        tag: 'insert' as const,
        relationId: 4_000_000_000,
        newTuple: t('9007199254740993', 's', 'text', '1.10'),
      },
      { texts: ['9007199254740993', 'text', '1.10'], missing: [], key: null, deleted: false },
    ],
    [
      'an update whose unchanged TOAST value comes from the old tuple (REPLICA IDENTITY FULL)',
      {
        tag: 'update' as const,
        relationId: 4_000_000_000,
        old: t('1', 's', 'long old body', '2'),
        newTuple: t('1', 's', 'U', '3'),
      },
      { texts: ['1', 'long old body', '3'], missing: [], key: null, deleted: false },
    ],
    [
      'a delete with only the key (REPLICA IDENTITY DEFAULT)',
      { tag: 'delete' as const, relationId: 4_000_000_000, key: t('5', null, null, null) },
      { texts: ['5', null, null], missing: [], key: null, deleted: true },
    ],
    [
      'an unchanged TOAST value no old tuple carries: missing, with the key to fetch it by',
      { tag: 'update' as const, relationId: 4_000_000_000, newTuple: t('1', 's', 'U', '3') },
      { texts: ['1', null, '3'], missing: [1], key: ['1'], deleted: false },
    ],
  ])('%s', (_n, change, expected) => {
    expect(encoder.decode(change)).toMatchObject([expected]);
  });

  it.each([
    ['the old key tuple (K, REPLICA IDENTITY DEFAULT)', { key: t('1', null, null, null) }],
    ['the old row (O, REPLICA IDENTITY FULL)', { old: t('1', 's', 'old body', '2') }],
  ])('an update that changed the key: the old key removed first, from %s', (_n, old) => {
    const out = encoder.decode({
      tag: 'update',
      relationId: 4_000_000_000,
      ...old,
      newTuple: t('10001', 's', 'U', '3'),
    });
    expect(out).toMatchObject([
      { texts: ['1', null, null], missing: [], key: null, deleted: true },
      { texts: ['10001', 'old' in old ? 'old body' : null, '3'], deleted: false },
    ]);
  });

  it('an update of a FULL row whose key stayed: no removal', () => {
    const out = encoder.decode({
      tag: 'update',
      relationId: 4_000_000_000,
      old: t('1', 's', 'b', '2'),
      newTuple: t('1', 's', 'b', '3'),
    });
    expect(out).toHaveLength(1);
  });

  it('a generated column the Relation leaves out is read by key, and null in a delete', () => {
    const e = new ChangeEncoder([{ ...target, generated: new Set(['total']) }]);
    e.relation(relation);
    const [ins] = e.decode({
      tag: 'insert',
      relationId: 4_000_000_000,
      newTuple: t('1', 's', 'b', '2'),
    });
    expect(ins).toMatchObject({ texts: ['1', 'b', '2', null], missing: [3], key: ['1'] });
    const [del] = e.decode({
      tag: 'delete',
      relationId: 4_000_000_000,
      key: t('1', null, null, null),
    });
    expect(del).toMatchObject({ texts: ['1', null, null, null], missing: [], deleted: true });
  });

  it('skips tables no stream selected, and changes before their Relation', () => {
    expect(
      encoder.decode({ tag: 'insert', relationId: 7, newTuple: t('1', 's', 'b', '1') }),
    ).toEqual([]);
    expect(encoder.decode({ tag: 'insert', relationId: 8, newTuple: t('1') })).toEqual([]);
  });

  it('a repeated Relation keeps its layout; a changed one makes a new layout', () => {
    const e = new ChangeEncoder([target]);
    e.relation(relation);
    const first = e.decode({
      tag: 'insert',
      relationId: 4_000_000_000,
      newTuple: t('1', 's', 'b', '1'),
    })[0]!;
    e.relation({ ...relation });
    const same = e.decode({
      tag: 'insert',
      relationId: 4_000_000_000,
      newTuple: t('1', 's', 'b', '1'),
    })[0]!;
    expect(same.layoutId).toBe(first.layoutId);
    e.relation({ ...relation, columns: relation.columns.filter((c) => c.name !== 'amount') });
    const dropped = e.decode({
      tag: 'insert',
      relationId: 4_000_000_000,
      newTuple: t('1', 's', 'b'),
    })[0]!;
    expect(dropped.layoutId).not.toBe(first.layoutId);
    expect(dropped.kind === 'change' && dropped.texts).toEqual(['1', 'b']);
    expect(e.layout(dropped.layoutId).columns.map((c) => c.name)).toEqual(['id', 'body']);
    expect(e.layout(first.layoutId).columns.map((c) => c.name)).toEqual(['id', 'body', 'amount']);
  });

  describe('a replica identity that leaves out the stream key (changed since, or between runs)', () => {
    // REPLICA IDENTITY USING INDEX on `uid`: the server marks uid as the key, and an UPDATE that
    // changes `id` carries no old tuple at all, a DELETE only `uid`.
    const byUid: RelationMessage = {
      ...relation,
      replicaIdentity: 'i',
      columns: ['id', 'uid', 'body'].map((name) => ({
        name,
        isKey: name === 'uid',
        flags: name === 'uid' ? 1 : 0,
        typeOid: 25,
        typmod: -1,
      })),
    };
    const rel = 4_000_000_000;
    const changes = {
      insert: { tag: 'insert' as const, relationId: rel, newTuple: t('2', 'u', 'b') },
      update: { tag: 'update' as const, relationId: rel, newTuple: t('10002', 'u', 'b') },
      delete: { tag: 'delete' as const, relationId: rel, key: t(null, 'u', null) },
    };

    it.each([
      ['update', changes.update],
      ['delete', changes.delete],
    ] as const)('an %s becomes a key-lost entry', (_, change) => {
      const e = new ChangeEncoder([target]);
      e.relation(byUid);
      const [out, more] = e.decode(change);
      expect(out).toEqual({ kind: 'key-lost', layoutId: expect.any(Number) });
      expect(more).toBeUndefined();
      expect(e.layout(out!.layoutId).keyNotInWal).toEqual(['id']);
    });

    it('an insert carries its whole row', () => {
      const e = new ChangeEncoder([target]);
      e.relation(byUid);
      expect(e.decode(changes.insert)).toEqual([expect.objectContaining({ kind: 'change' })]);
    });

    it.each([
      [
        'the identity includes the key',
        { ...byUid, columns: byUid.columns.map((c) => ({ ...c, isKey: c.name !== 'body' })) },
      ],
      ['REPLICA IDENTITY FULL', { ...byUid, replicaIdentity: 'f' as const }],
      [
        'no identity column (a partitioned table published through its root)',
        {
          ...byUid,
          replicaIdentity: 'd' as const,
          columns: byUid.columns.map((c) => ({ ...c, isKey: false, flags: 0 })),
        },
      ],
    ])('%s: an update is a change', (_, rel) => {
      const e = new ChangeEncoder([target]);
      e.relation(rel);
      expect(e.decode(changes.update)).toEqual([expect.objectContaining({ kind: 'change' })]);
    });

    it.each([
      ['update', { ...changes.update, old: t('2', 'u', 'b') }],
      ['delete', { tag: 'delete' as const, relationId: rel, old: t('2', 'u', 'b') }],
    ] as const)(
      'an %s with the whole old row is a change: the old row has the key',
      (_, change) => {
        const e = new ChangeEncoder([target]);
        e.relation(byUid);
        expect(e.decode(change).map((c) => c.kind)).not.toContain('key-lost');
      },
    );

    it('the same columns under another identity are another layout', () => {
      const e = new ChangeEncoder([target]);
      e.relation({ ...byUid, replicaIdentity: 'f' });
      const [full] = e.decode(changes.update);
      e.relation(byUid);
      const [lost] = e.decode(changes.update);
      expect(lost!.layoutId).not.toBe(full!.layoutId);
      expect(lost!.kind).toBe('key-lost');
    });
  });

  it('maps a TRUNCATE to the selected tables only', () => {
    expect(
      encoder.truncate({
        tag: 'truncate',
        options: { cascade: false, restartIdentity: false },
        relationIds: [7, 4_000_000_000],
      }),
    ).toEqual({ kind: 'truncate', layoutIds: [expect.any(Number)] });
    expect(
      encoder.truncate({
        tag: 'truncate',
        options: { cascade: false, restartIdentity: false },
        relationIds: [7],
      }),
    ).toBeNull();
  });
});
