import { parseLsn } from '../../replication/lsn';
import { Idleness } from './idleness';

const END = parseLsn('0/5000');
const LIMIT = 2000;

type Event = readonly [at: number, what: 'change' | string];

/** Replays events (a change, or a keepalive's walEnd) and says whether the run is idle at `at`. */
function idleAt(events: readonly Event[], at: number): boolean {
  const i = new Idleness(END, LIMIT, 0);
  for (const [t, what] of events) {
    if (what === 'change') i.active(t);
    else i.keepalive(parseLsn(what), t);
  }
  return i.idle(at);
}

describe('Idleness', () => {
  it.each<[string, readonly Event[], number, boolean]>([
    ['nothing at all, within the limit', [], 2000, false],
    ['nothing at all, past the limit', [], 2001, true],
    ['a change restarts the clock', [[1500, 'change']], 3000, false],
    [
      // Decoding again from restart_lsn, far below the streams' positions: each keepalive further on.
      'keepalives moving on below the end position are progress',
      [
        [1000, '0/1000'],
        [2000, '0/2000'],
        [3000, '0/3000'],
        [4000, '0/4000'],
      ],
      5500,
      false,
    ],
    [
      'a keepalive repeating its position is not progress',
      [
        [1000, '0/1000'],
        [2000, '0/1000'],
        [3000, '0/1000'],
      ],
      3001,
      true,
    ],
    [
      'a keepalive going back is not progress',
      [
        [1000, '0/3000'],
        [2500, '0/2000'],
      ],
      3001,
      true,
    ],
    ['a keepalive at the end position is not progress', [[1000, '0/5000']], 2001, true],
    ['a keepalive past the end position is not progress', [[1000, '0/9000']], 2001, true],
    [
      'past the end position, later keepalives are not progress either',
      [
        [1000, '0/9000'],
        [2000, '0/A000'],
      ],
      2001,
      true,
    ],
  ])('%s', (_, events, at, idle) => {
    expect(idleAt(events, at)).toBe(idle);
  });
});
