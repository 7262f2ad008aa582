import { lsnFromBigInt } from '../../replication/lsn';
import type { RelationMessage, Tuple } from '../../replication/pgoutput/messages';
import type { ResolvedType } from '../../types/resolved-type';
import { DEFAULT_VALUE_POLICY } from '../../values';
import { ChangeEncoder, type LogStreamTarget } from './change-encoder';

const type = (name: string, sqlType = name): ResolvedType => ({
  sqlType,
  base: { name, schema: 'pg_catalog', typtype: 'b', category: 'N' },
  arrayDims: 0,
  domains: [],
});

const target: LogStreamTarget = {
  tapStreamId: 'public-docs',
  schemaName: 'public',
  tableName: 'docs',
  // Stream order differs from the table's, and `secret` is not selected.
  columns: ['body', 'id', 'amount'],
  types: [type('text'), type('int8', 'bigint'), type('numeric')],
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

const LSN = lsnFromBigInt(2n ** 60n + 1n);
const AT = '2024-01-02T03:04:05.123456+00:00';

describe('ChangeEncoder', () => {
  const encoder = new ChangeEncoder([target], DEFAULT_VALUE_POLICY);
  encoder.relation(relation);
  encoder.relation({ ...relation, relationId: 7, name: 'other' });

  it.each([
    [
      'an insert, in stream column order, with exact numbers',
      {
        tag: 'insert' as const,
        relationId: 4_000_000_000,
        newTuple: t('9007199254740993', 's', 'text', '1.10'),
      },
      '"body":"text","id":9007199254740993,"amount":1.10,"_sdc_lsn":1152921504606846977,"_sdc_deleted_at":null',
      [],
    ],
    [
      'an update whose unchanged TOAST value comes from the old tuple (REPLICA IDENTITY FULL)',
      {
        tag: 'update' as const,
        relationId: 4_000_000_000,
        old: t('1', 's', 'long old body', '2'),
        newTuple: t('1', 's', 'U', '3'),
      },
      '"body":"long old body","id":1,"amount":3,"_sdc_lsn":1152921504606846977,"_sdc_deleted_at":null',
      [],
    ],
    [
      'a delete with only the key (REPLICA IDENTITY DEFAULT)',
      { tag: 'delete' as const, relationId: 4_000_000_000, key: t('5', null, null, null) },
      `"body":null,"id":5,"amount":null,"_sdc_lsn":1152921504606846977,"_sdc_deleted_at":"${AT}"`,
      [],
    ],
  ])('%s', (_n, change, body, missing) => {
    const d = encoder.decode(change)!;
    expect(d.missing).toEqual(missing);
    expect(encoder.body(d, LSN, AT)).toBe(body);
    expect(() => JSON.parse(`{${body}}`)).not.toThrow();
  });

  it('never emits an unchanged TOAST value as null: it is reported missing for a fetch by key', () => {
    const d = encoder.decode({
      tag: 'update',
      relationId: 4_000_000_000,
      newTuple: t('1', 's', 'U', '3'),
    })!;
    expect(d.missing).toEqual([0]);
    d.texts[0] = 'fetched body';
    expect(encoder.body(d, LSN, AT)).toContain('"body":"fetched body"');
  });

  it('skips tables no stream selected, and changes before their Relation', () => {
    expect(
      encoder.decode({ tag: 'insert', relationId: 7, newTuple: t('1', 's', 'b', '1') }),
    ).toBeNull();
    expect(encoder.decode({ tag: 'insert', relationId: 8, newTuple: t('1') })).toBeNull();
  });

  it('follows a new Relation: a dropped column becomes null', () => {
    const e = new ChangeEncoder([target], DEFAULT_VALUE_POLICY);
    e.relation({ ...relation, columns: relation.columns.filter((c) => c.name !== 'amount') });
    const d = e.decode({ tag: 'insert', relationId: 4_000_000_000, newTuple: t('1', 's', 'b') })!;
    expect(e.body(d, LSN, AT)).toContain('"amount":null');
  });
});
