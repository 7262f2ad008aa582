import { compareLsn, INVALID_LSN, type Lsn } from '../../replication/lsn';

/**
 * Whether a LOG_BASED run has been idle for `logical_poll_total_seconds`: no change arrived, and
 * no keepalive showed the walsender further on in WAL written before the run.
 *
 * A walsender decodes again from the slot's `restart_lsn`, which can lie far behind the streams'
 * positions (an open transaction holds it back; it moves only as the slot is confirmed). While it
 * reads that stretch it sends nothing but keepalives, each further on. Counting those as progress
 * matters: when they were taken for idleness, a run ended before reaching anything new, and so did
 * every later run, since none confirmed anything past where it started. A keepalive that repeats
 * a position, or lies at or past the end position read at the start, is not progress.
 */
export class Idleness {
  private last: number;
  private furthest: Lsn = INVALID_LSN;

  constructor(
    /** The WAL position when the run started streaming. */
    private readonly endAt: Lsn,
    private readonly limitMs: number,
    now: number,
  ) {
    this.last = now;
  }

  /** A change, or time the run spent blocked on its consumer. */
  active(now: number): void {
    this.last = now;
  }

  keepalive(walEnd: Lsn, now: number): void {
    if (compareLsn(walEnd, this.furthest) <= 0) return;
    this.furthest = walEnd;
    if (compareLsn(walEnd, this.endAt) < 0) this.last = now;
  }

  idle(now: number): boolean {
    return now - this.last > this.limitMs;
  }
}
