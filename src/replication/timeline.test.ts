import { parseLsn } from './lsn';
import { endOfTimeline, parseTimelineHistory } from './timeline';

describe('timeline history', () => {
  const history = parseTimelineHistory(
    '1\t0/3000000\tno recovery target specified\n\n# a comment\n2\t0/5A00FF8\tat restore point "x"\n',
  );

  it('parses every switch, skipping blank lines and comments', () => {
    expect(history).toEqual([
      { timeline: 1, switchpoint: parseLsn('0/3000000') },
      { timeline: 2, switchpoint: parseLsn('0/5A00FF8') },
    ]);
  });

  it.each([
    ['the current timeline: all of it is this server’s', 3, null],
    ['a parent: where it ended on the way here', 2, parseLsn('0/5A00FF8')],
    ['a grandparent', 1, parseLsn('0/3000000')],
    ['a timeline that is no ancestor', 7, undefined],
  ])('%s', (_, from, expected) => {
    expect(endOfTimeline(history, from, 3)).toEqual(expected);
  });
});
