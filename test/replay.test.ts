import type { Message } from './support/catalog-helpers';
import { compareHeld, replay, SchemaChecker } from './support/replay';

const schema = (stream: string, key: string[], props: Record<string, unknown>): Message => ({
  type: 'SCHEMA',
  stream,
  key_properties: key,
  schema: { type: 'object', properties: props },
});
const rec = (stream: string, record: Record<string, unknown>, version?: number): Message => ({
  type: 'RECORD',
  stream,
  record,
  ...(version === undefined ? {} : { version }),
});
const rows = (held: ReturnType<typeof replay>, stream: string) => [
  ...(held.get(stream)?.values() ?? []),
];

describe('replay', () => {
  it('upserts by a composite key, deletes on _sdc_deleted_at, drops _sdc_ columns', () => {
    const held = replay([
      schema('s', ['a', 'b'], {}),
      rec('s', { a: 1, b: 'x', v: 1, _sdc_lsn: 5 }),
      rec('s', { a: 1, b: 'y', v: 2, _sdc_deleted_at: null }),
      rec('s', { a: 1, b: 'x', v: 3 }),
      rec('s', { a: 1, b: 'y', _sdc_deleted_at: '2024-01-01T00:00:00+00:00' }),
    ]);
    expect(rows(held, 's')).toEqual([{ a: 1, b: 'x', v: 3 }]);
  });

  it('ACTIVATE_VERSION drops the rows of older versions only, per stream', () => {
    const held = replay([
      schema('s', ['id'], {}),
      schema('t', ['id'], {}),
      rec('s', { id: 1 }, 10),
      rec('s', { id: 2 }, 10),
      rec('t', { id: 1 }, 10),
      rec('s', { id: 2 }, 20),
      rec('s', { id: 3 }, 20),
      { type: 'ACTIVATE_VERSION', stream: 's', version: 20 },
    ]);
    expect(rows(held, 's').map((r) => r.id)).toEqual([2, 3]);
    expect(rows(held, 't').map((r) => r.id)).toEqual([1]);
  });
});

describe('compareHeld', () => {
  const source = replay([schema('s', ['id'], {}), rec('s', { id: 1, a: 1, c: null })]);

  it('ignores columns only the target has, and reads a column missing in the target as null', () => {
    const target = replay([schema('s', ['id'], {}), rec('s', { id: 1, a: 1, gone: 'x' })]);
    expect(compareHeld(source, target)).toEqual([]);
  });

  it('names missing rows, ghost rows and differing values', () => {
    const target = replay([
      schema('s', ['id'], {}),
      rec('s', { id: 1, a: 2, c: null }),
      rec('s', { id: 10001, a: 1 }),
    ]);
    expect(compareHeld(source, target)).toEqual([
      's [1].a: target 2, source 1',
      's [10001]: ghost row in the target {"id":10001,"a":1}',
    ]);
    expect(compareHeld(source, new Map())).toEqual([
      's [1]: missing from the target (source {"id":1,"a":1,"c":null})',
    ]);
  });
});

describe('SchemaChecker', () => {
  it('checks each record against the last SCHEMA of its stream, across calls', () => {
    const c = new SchemaChecker();
    expect(
      c.violations([
        schema('s', ['id'], { id: { type: 'integer' }, n: { type: ['null', 'integer'] } }),
        rec('s', { id: 1, n: 2 }),
      ]),
    ).toEqual([]);
    const later = c.violations([rec('s', { id: 1, n: 'two' }), rec('u', { id: 1 })]);
    expect(later).toHaveLength(2);
    expect(later[0]).toMatch(/^s: .* breaks its SCHEMA: data\/n must be null,integer/);
    expect(later[1]).toBe('u: RECORD before any SCHEMA');
  });

  it('leaves multipleOf out (ajv divides floats)', () => {
    const c = new SchemaChecker();
    const s = schema('s', ['id'], { x: { type: 'number', multipleOf: 0.01 } });
    expect(c.violations([s, rec('s', { x: 1234567890.12 })])).toEqual([]);
  });
});
