import { blockRanges, ctidCondition } from './ctid-ranges';

describe('blockRanges', () => {
  it('covers every block once, the last range open-ended', () => {
    const r = blockRanges(10_000, 3, 1024);
    expect(r).toEqual([
      { from: 0, to: 3333 },
      { from: 3333, to: 6666 },
      { from: 6666, to: null },
    ]);
    expect(r.map(ctidCondition)).toEqual([
      `ctid < '(3333,0)'::tid`,
      `ctid >= '(3333,0)'::tid AND ctid < '(6666,0)'::tid`,
      `ctid >= '(6666,0)'::tid`,
    ]);
  });

  it('uses fewer ranges when the table is small, one when it is tiny', () => {
    expect(blockRanges(2_100, 8, 1024)).toHaveLength(2);
    expect(blockRanges(100, 8, 1024)).toEqual([{ from: 0, to: null }]);
    expect(ctidCondition({ from: 0, to: null })).toBe('true');
  });
});
