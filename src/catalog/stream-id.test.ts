import fc from 'fast-check';
import { parseTapStreamId, tapStreamId } from './stream-id';

describe('tapStreamId', () => {
  it.each([
    // Names without '-' keep the id pipelinewise and MeltanoLabs give them.
    ['public', 'users', 'public-users'],
    ['Ünï Schema', 'a b.c', 'Ünï Schema-a b.c'],
    ['s', 'growth%', 's-growth%'],
    ['s', '%2d', 's-%2d'],
    // A name with '-' is escaped, and only that name.
    ['a-b', 'c', 'a%2Db-c'],
    ['a', 'b-c', 'a-b%2Dc'],
    ['a-', 'b', 'a%2D-b'],
    ['a', '-b', 'a-%2Db'],
    ['a-%', 'b', 'a%2D%25-b'],
    // A plain name spelling an escape is escaped too, or it could equal an escaped name.
    ['a%2Db', 'c', 'a%252Db-c'],
    ['a%25', 'c', 'a%2525-c'],
  ])('%j.%j is %j', (schema, table, id) => {
    expect(tapStreamId(schema, table)).toBe(id);
    expect(parseTapStreamId(id)).toEqual([schema, table]);
  });

  it('never gives two tables the same id, and parses back to the names', () => {
    const name = fc.string({ unit: fc.constantFrom('a', '-', '%', '2', 'D', '5', 'd') });
    fc.assert(
      fc.property(name, name, name, name, (s1, t1, s2, t2) => {
        const same = tapStreamId(s1, t1) === tapStreamId(s2, t2);
        expect(same).toBe(s1 === s2 && t1 === t2);
        if (s1.length > 0) expect(parseTapStreamId(tapStreamId(s1, t1))).toEqual([s1, t1]);
      }),
      { numRuns: 5000, seed: 11 },
    );
  });

  it('reads ids another tap wrote: split at the first -, no - means public', () => {
    expect(parseTapStreamId('a-b-c')).toEqual(['a', 'b-c']);
    expect(parseTapStreamId('users')).toEqual(['public', 'users']);
  });
});
