import { typeRow } from './testing/type-row';
import { resolveColumnType, typesByOid } from './resolve-type';

const type = typeRow;

// OIDs as PostgreSQL 17 has them for built-ins; user types from 16384 on.
const TYPES = typesByOid([
  type('23', 'int4', { category: 'N' }),
  type('1007', '_int4', { category: 'A', elementOid: '23' }),
  type('1700', 'numeric', { category: 'N' }),
  type('1231', '_numeric', { category: 'A', elementOid: '1700' }),
  type('1043', 'varchar'),
  type('1042', 'bpchar'),
  type('1560', 'bit', { category: 'V' }),
  type('1562', 'varbit', { category: 'V' }),
  type('1114', 'timestamp', { category: 'D' }),
  type('1184', 'timestamptz', { category: 'D' }),
  type('1083', 'time', { category: 'D' }),
  type('1186', 'interval', { category: 'T' }),
  type('600', 'point', { category: 'G', elementOid: null }),
  type('16400', 'money2', {
    schema: 'app',
    typtype: 'd',
    category: 'N',
    baseTypeOid: '1700',
    typmod: 655366,
  }),
  type('16401', '_money2', { schema: 'app', category: 'A', elementOid: '16400' }),
  type('16402', 'price', { schema: 'app', typtype: 'd', category: 'N', baseTypeOid: '16400' }),
  type('16403', 'int_list', {
    schema: 'app',
    typtype: 'd',
    category: 'A',
    baseTypeOid: '1007',
    ndims: 1,
  }),
  type('16404', 'int_list_nn', {
    schema: 'app',
    typtype: 'd',
    category: 'A',
    baseTypeOid: '16403',
  }),
  type('16405', 'mood', {
    schema: 'app',
    typtype: 'e',
    category: 'E',
    enumLabels: ['sad', 'ok', 'happy'],
  }),
  type('16406', '_mood', { schema: 'app', category: 'A', elementOid: '16405' }),
  type('16407', 'loop', { schema: 'app', typtype: 'd', category: 'N', baseTypeOid: '16407' }),
  type('16410', 'address', {
    schema: 'app',
    typtype: 'c',
    category: 'C',
    attributes: [
      { name: 'street', typeOid: '1043', typmod: 24, sqlType: 'character varying(20)', dims: 0 },
      { name: 'price', typeOid: '16400', typmod: -1, sqlType: 'app.money2', dims: 0 },
      { name: 'zips', typeOid: '1007', typmod: -1, sqlType: 'integer[]', dims: 1 },
    ],
  }),
  type('16411', '_address', { schema: 'app', category: 'A', elementOid: '16410' }),
  type('16412', 'shipment', {
    schema: 'app',
    typtype: 'c',
    category: 'C',
    attributes: [{ name: 'to', typeOid: '16411', typmod: -1, sqlType: 'app.address[]', dims: 0 }],
  }),
  type('16413', 'self', {
    schema: 'app',
    typtype: 'c',
    category: 'C',
    attributes: [{ name: 'me', typeOid: '16413', typmod: -1, sqlType: 'app.self', dims: 0 }],
  }),
]);

function col(typeOid: string, typmod = -1, dims = 0, sqlType = 'x') {
  return { typeOid, typmod, dims, sqlType };
}

describe('resolveColumnType', () => {
  it.each([
    ['numeric(12,2)', col('1700', 786438), { precision: 12, scale: 2 }],
    ['numeric(40,10)', col('1700', 2621454), { precision: 40, scale: 10 }],
    ['numeric(5,-2) (PostgreSQL 15+)', col('1700', 329730), { precision: 5, scale: -2 }],
    ['numeric(3,5) (PostgreSQL 15+)', col('1700', 196617), { precision: 3, scale: 5 }],
    ['numeric', col('1700'), {}],
    ['character varying(50)', col('1043', 54), { length: 50 }],
    ['character varying', col('1043'), {}],
    ['character(1)', col('1042', 5), { length: 1 }],
    ['bit(4)', col('1560', 4), { length: 4 }],
    ['bit varying', col('1562'), {}],
    ['timestamp(3)', col('1114', 3), { precision: 3 }],
    ['timestamp(0)', col('1114', 0), { precision: 0 }],
    ['timestamptz', col('1184'), {}],
    ['time(3)', col('1083', 3), { precision: 3 }],
    ['interval(3)', col('1186', 2147418115), { precision: 3 }],
    ['interval day to second(2)', col('1186', 470286338), { precision: 2 }],
    ['interval day', col('1186', 589823), {}],
  ])('decodes the modifier of %s', (_what, column, modifiers) => {
    const r = resolveColumnType(column, TYPES);
    expect(r.arrayDims).toBe(0);
    expect({
      precision: r.base.precision,
      scale: r.base.scale,
      length: r.base.length,
    }).toEqual({ precision: undefined, scale: undefined, length: undefined, ...modifiers });
  });

  it('keeps sql-datatype as format_type printed it', () => {
    expect(resolveColumnType(col('1700', 786438, 0, 'numeric(12,2)'), TYPES).sqlType).toBe(
      'numeric(12,2)',
    );
  });

  it('resolves a domain to its base with the domain typmod', () => {
    expect(resolveColumnType(col('16400'), TYPES)).toMatchObject({
      base: { name: 'numeric', schema: 'pg_catalog', precision: 10, scale: 2 },
      arrayDims: 0,
      domains: ['money2'],
    });
  });

  it('resolves a domain over a domain, outermost first', () => {
    expect(resolveColumnType(col('16402'), TYPES)).toMatchObject({
      base: { name: 'numeric', precision: 10, scale: 2 },
      arrayDims: 0,
      domains: ['price', 'money2'],
    });
  });

  it('resolves an array with its element typmod and declared dimensions', () => {
    expect(resolveColumnType(col('1231', 655366, 1), TYPES)).toMatchObject({
      base: { name: 'numeric', precision: 10, scale: 2 },
      arrayDims: 1,
      domains: [],
    });
    expect(resolveColumnType(col('1007', -1, 2), TYPES)).toMatchObject({
      base: { name: 'int4' },
      arrayDims: 2,
    });
  });

  it('counts an array without declared dimensions (views) as one', () => {
    expect(resolveColumnType(col('1007', -1, 0), TYPES).arrayDims).toBe(1);
  });

  it('resolves an array of a domain', () => {
    expect(resolveColumnType(col('16401', -1, 1), TYPES)).toMatchObject({
      base: { name: 'numeric', precision: 10, scale: 2 },
      arrayDims: 1,
      domains: ['money2'],
    });
  });

  it('resolves a domain over a domain over an array', () => {
    expect(resolveColumnType(col('16404'), TYPES)).toMatchObject({
      base: { name: 'int4' },
      arrayDims: 1,
      domains: ['int_list_nn', 'int_list'],
    });
  });

  it('keeps an enum with its labels, and an enum array', () => {
    const labels = ['sad', 'ok', 'happy'];
    expect(resolveColumnType(col('16405'), TYPES)).toMatchObject({
      base: { name: 'mood', schema: 'app', typtype: 'e', enumLabels: labels },
      arrayDims: 0,
    });
    expect(resolveColumnType(col('16406', -1, 1), TYPES)).toMatchObject({
      base: { name: 'mood', enumLabels: labels },
      arrayDims: 1,
    });
  });

  it('does not take a fixed-length type with typelem (point) for an array', () => {
    expect(resolveColumnType(col('600'), TYPES)).toMatchObject({
      base: { name: 'point' },
      arrayDims: 0,
    });
  });

  it('falls back to an unknown base for a missing type or a cycle', () => {
    expect(resolveColumnType(col('99999', -1, 0, 'gone'), TYPES).base).toEqual({
      name: 'gone',
      schema: '',
      typtype: 'b',
      category: 'X',
    });
    expect(resolveColumnType(col('16407', -1, 0, 'loop'), TYPES).base.name).toBe('loop');
  });

  it('resolves a composite with its attributes, each as a column of its type', () => {
    const r = resolveColumnType(col('16412', -1, 0, 'app.shipment'), TYPES);
    const to = r.base.attributes![0]!;
    expect(to.name).toBe('to');
    expect(to.type).toMatchObject({ sqlType: 'app.address[]', arrayDims: 1 });
    expect(to.type.base.attributes!.map((a) => [a.name, a.type.sqlType, a.type.base])).toEqual([
      [
        'street',
        'character varying(20)',
        { name: 'varchar', schema: 'pg_catalog', typtype: 'b', category: 'S', length: 20 },
      ],
      [
        'price',
        'app.money2',
        {
          name: 'numeric',
          schema: 'pg_catalog',
          typtype: 'b',
          category: 'N',
          precision: 10,
          scale: 2,
        },
      ],
      ['zips', 'integer[]', { name: 'int4', schema: 'pg_catalog', typtype: 'b', category: 'N' }],
    ]);
    expect(to.type.base.attributes![1]!.type.domains).toEqual(['money2']);
  });

  it('stops at a composite that contains itself (a broken catalog)', () => {
    let t = resolveColumnType(col('16413', -1, 0, 'app.self'), TYPES);
    let depth = 0;
    while (t.base.attributes?.[0]) {
      t = t.base.attributes[0].type;
      depth++;
    }
    expect(depth).toBeLessThanOrEqual(64);
    expect(t.base.typtype).toBe('b');
  });
});
