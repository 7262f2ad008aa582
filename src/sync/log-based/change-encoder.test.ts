import type { RelationMessage, Tuple } from '../../replication/pgoutput/messages';
import { ChangeEncoder, type LogStreamTarget } from './change-encoder';

const target: LogStreamTarget = {
  tapStreamId: 'public-docs',
  schemaName: 'public',
  tableName: 'docs',
  deselected: new Set(['secret']),
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
    expect(encoder.decode(change)).toMatchObject(expected);
  });

  it('skips tables no stream selected, and changes before their Relation', () => {
    expect(
      encoder.decode({ tag: 'insert', relationId: 7, newTuple: t('1', 's', 'b', '1') }),
    ).toBeNull();
    expect(encoder.decode({ tag: 'insert', relationId: 8, newTuple: t('1') })).toBeNull();
  });

  it('a repeated Relation keeps its layout; a changed one makes a new layout', () => {
    const e = new ChangeEncoder([target]);
    e.relation(relation);
    const first = e.decode({
      tag: 'insert',
      relationId: 4_000_000_000,
      newTuple: t('1', 's', 'b', '1'),
    })!;
    e.relation({ ...relation });
    const same = e.decode({
      tag: 'insert',
      relationId: 4_000_000_000,
      newTuple: t('1', 's', 'b', '1'),
    })!;
    expect(same.layoutId).toBe(first.layoutId);
    e.relation({ ...relation, columns: relation.columns.filter((c) => c.name !== 'amount') });
    const dropped = e.decode({
      tag: 'insert',
      relationId: 4_000_000_000,
      newTuple: t('1', 's', 'b'),
    })!;
    expect(dropped.layoutId).not.toBe(first.layoutId);
    expect(dropped.texts).toEqual(['1', 'b']);
    expect(e.layout(dropped.layoutId).columns.map((c) => c.name)).toEqual(['id', 'body']);
    expect(e.layout(first.layoutId).columns.map((c) => c.name)).toEqual(['id', 'body', 'amount']);
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
