import { InputError } from '../../errors';
import {
  compareLsn,
  formatLsn,
  INVALID_LSN,
  lsnFromStateInt,
  lsnToStateInt,
  maxLsn,
  minLsn,
  type Lsn,
} from '../../replication/lsn';
import type { WalReader } from '../../replication/wal-reader';
import type { Bookmark, TapState } from '../../state/tap-state';
import { bookmarkFor } from '../../state/tap-state';

/** A LOG_BASED bookmark's LSN; null when the state has none (or MeltanoLabs' 0). */
export function bookmarkLsn(b: Bookmark): Lsn | null {
  return typeof b.lsn === 'number' && b.lsn > 0 ? lsnFromStateInt(b.lsn) : null;
}

/** The LSN a state holds for a LOG_BASED stream. */
export function stateLsn(state: TapState, streamId: string): Lsn | null {
  return bookmarkLsn(bookmarkFor(state, streamId, 'LOG_BASED', null));
}

/**
 * A state LSN the server has not reached cannot come from this server: it was copied from
 * another environment (the default slot name is the same everywhere) or edited. Confirming it
 * would move the slot past WAL not written yet, and every change up to there would be skipped.
 */
export function lsnAheadOfServer(streamId: string, lsn: Lsn, serverLsn: Lsn): string | null {
  if (compareLsn(lsn, serverLsn) <= 0) return null;
  return `the state's LSN for ${streamId} (${formatLsn(lsn)}) is ahead of this server's WAL (${formatLsn(serverLsn)}): the state belongs to another server or database (copied between environments?), and confirming it would skip every change up to there. Use this environment's state, or remove the stream's bookmark to copy the table again`;
}

/**
 * Every LSN rule of one LOG_BASED run, in one place:
 * - each stream's position: changes committed at or before it are already in the target's
 *   future (copied, or emitted by a past run); it becomes the stream's bookmark;
 * - validation: a state position ahead of the server's WAL is refused before the slot is touched;
 * - where streaming starts: the earliest position a resumed stream still needs, so a run with
 *   nothing new decodes nothing old (the server starts at max(start, confirmed_flush_lsn));
 * - the acknowledgement: the slot is confirmed only through `confirm`, never past what the
 *   incoming state says (ack_mode next_run) or what this run has written and flushed (on_emit),
 *   and never past a position the server has shown.
 */
export class LogOffset {
  private readonly positions = new Map<string, Lsn>();
  /** Streams whose position must not move (their table changed identity mid-run). */
  private readonly frozen = new Set<string>();
  /** The highest WAL position the server has shown this run: nothing beyond is ever confirmed. */
  private serverLsn: Lsn;
  private confirmed: Lsn;

  private constructor(
    /** What the target has committed: the least LSN of the incoming state's resumed streams. */
    readonly committed: Lsn,
    /** Where the run starts decoding; INVALID_LSN lets the server start at the slot's position. */
    private start: Lsn,
    slotConfirmed: Lsn,
    serverLsn: Lsn,
  ) {
    this.serverLsn = serverLsn;
    this.confirmed = slotConfirmed;
  }

  /**
   * `resumed`: the streams that continue from the state (id → the run's current bookmark LSN);
   * `incoming`: the state the run started with. Throws, before anything touches the slot, when a
   * position is ahead of the server's WAL.
   */
  static open(
    resumed: ReadonlyMap<string, Lsn>,
    incoming: TapState,
    slotConfirmed: Lsn | null,
    serverLsn: Lsn,
  ): LogOffset {
    const acks: Lsn[] = [];
    for (const [id, lsn] of resumed) {
      const ahead = lsnAheadOfServer(id, lsn, serverLsn);
      if (ahead) throw new InputError(ahead);
      const committed = stateLsn(incoming, id);
      // After a reconnect within the run the current bookmark is further than the incoming one.
      if (committed) acks.push(minLsn(committed, lsn));
    }
    const committed = acks.length ? minLsn(acks[0]!, ...acks) : INVALID_LSN;
    const starts = [...resumed.values()];
    const start = starts.length ? minLsn(starts[0]!, ...starts) : INVALID_LSN;
    const offset = new LogOffset(committed, start, slotConfirmed ?? INVALID_LSN, serverLsn);
    for (const [id, lsn] of resumed) offset.positions.set(id, lsn);
    return offset;
  }

  /** A stream copied at `lsn` (the slot's consistent point, or the WAL position before the copy). */
  copied(id: string, lsn: Lsn): void {
    this.positions.set(id, lsn);
    this.frozen.delete(id);
  }

  /** A new slot: decoding starts at its consistent point at the earliest. */
  slotCreated(consistentPoint: Lsn): void {
    this.start = this.start === INVALID_LSN ? consistentPoint : minLsn(this.start, consistentPoint);
    this.serverShowed(consistentPoint);
    // The new slot is confirmed there already: status updates may say so.
    this.confirmed = maxLsn(this.confirmed, consistentPoint);
  }

  position(id: string): Lsn {
    return this.positions.get(id) ?? INVALID_LSN;
  }

  /** Whether a transaction ending at `end` is already covered for the stream. */
  covers(id: string, end: Lsn): boolean {
    return this.frozen.has(id) || compareLsn(end, this.position(id)) <= 0;
  }

  /**
   * Every stream has seen everything up to `lsn` (a commit's end, or a keepalive's walEnd once
   * all before it is processed): positions move together.
   */
  advance(lsn: Lsn): void {
    this.serverShowed(lsn);
    for (const [id, p] of this.positions) {
      if (!this.frozen.has(id)) this.positions.set(id, maxLsn(p, lsn));
    }
  }

  /** Stops a stream's position where it is: the rest of the run emits nothing for it. */
  freeze(id: string): void {
    this.frozen.add(id);
  }

  isFrozen(id: string): boolean {
    return this.frozen.has(id);
  }

  /** A WAL position the server reported (keepalive walEnd, commit end, pg_current_wal_lsn). */
  serverShowed(lsn: Lsn): void {
    this.serverLsn = maxLsn(this.serverLsn, lsn);
  }

  /** The timeline the server writes on (timeline-rule.ts); null on a standby or before it is known. */
  timeline: number | null = null;

  /** The stream's bookmark fields: its LSN, and the timeline that LSN is on. */
  bookmark(id: string): { lsn: number | null; timeline?: number } {
    const p = this.position(id);
    if (p === INVALID_LSN) return { lsn: null };
    return {
      lsn: lsnToStateInt(p),
      ...(this.timeline !== null ? { timeline: this.timeline } : {}),
    };
  }

  /** Where START_REPLICATION begins. */
  startPosition(): Lsn {
    return this.start;
  }

  /** The status position the reader reports before the run confirms anything itself. */
  initialStatus(): Lsn {
    return this.clamp(maxLsn(this.confirmed, this.committed));
  }

  /** The least position of every stream: what an on_emit run confirms at its end. */
  least(): Lsn {
    const all = [...this.positions.values()];
    return all.length ? minLsn(all[0]!, ...all) : INVALID_LSN;
  }

  /**
   * The only place the slot is confirmed. Never past the incoming state at start (next_run), and
   * never past a position the server has shown: a walsender accepts any LSN.
   */
  async confirm(reader: WalReader, lsn: Lsn): Promise<Lsn> {
    const at = this.clamp(lsn);
    if (compareLsn(at, this.confirmed) > 0 || compareLsn(at, reader.confirmedLsn) > 0) {
      this.confirmed = maxLsn(this.confirmed, at);
      await reader.confirm(at);
    }
    return at;
  }

  /** At start: the incoming state's position, when it is ahead of the slot's. */
  async confirmCommitted(reader: WalReader): Promise<void> {
    if (this.committed !== INVALID_LSN) await this.confirm(reader, this.committed);
  }

  private clamp(lsn: Lsn): Lsn {
    return minLsn(lsn, this.serverLsn);
  }
}
