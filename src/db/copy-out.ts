import type { ClientBase } from 'pg';

/** Told each CopyData payload as `buf[start, end)` (valid only during the call). */
export type CopyDataHandler = (buf: Buffer, start: number, end: number) => void;

/** After each socket chunk; a promise holds further reading (backpressure) until it settles. */
export type ChunkDone = () => Promise<void> | void;

const COPY_DATA = 0x64; // d
const COPY_DONE = 0x63; // c
const ERROR_RESPONSE = 0x45; // E
const HEADER = 5; // code + int32 length

interface PgConnection {
  stream: NodeJS.ReadableStream & {
    listeners(event: 'data'): Array<(chunk: Buffer) => void>;
  };
  query(text: string): void;
}

/**
 * Runs `COPY … TO STDOUT` and hands every CopyData payload to `onData` as a range of the socket's
 * own chunk. Why by hand rather than pg-copy-streams: that library cuts each row's message into a
 * Buffer of its own and concatenates them again for every chunk, about a fifth of a narrow
 * FULL_TABLE's CPU (a profile); here a payload is only copied when the socket cut it in two.
 *
 * Same wiring as pg-copy-streams' copy-to: as the active query it takes the socket from pg's
 * parser until CopyDone or an ErrorResponse, then gives pg the rest of the bytes, so pg reads
 * CommandComplete / ReadyForQuery (or the error) and settles the query. While `afterChunk`'s
 * promise is pending the socket is not read: TCP then holds the server back.
 */
export function copyOut(
  client: ClientBase,
  sql: string,
  onData: CopyDataHandler,
  afterChunk: ChunkDone,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const query = new CopyOutQuery(sql, onData, afterChunk, (e) => (e ? reject(e) : resolve()));
    // pg takes any object with submit(): the Submittable interface.
    void (client as unknown as { query(q: CopyOutQuery): unknown }).query(query);
  });
}

const enum Kind {
  Data,
  Done,
  Error,
  Other,
}

class CopyOutQuery {
  private connection: PgConnection | undefined;
  private pgDataHandler: ((chunk: Buffer) => void) | undefined;
  private readonly onReadable = () => this.forward();
  /** A message the socket cut: its bytes so far (header included). */
  private partial: Buffer | null = null;
  private waiting = false;
  private detached = false;
  /** The first failure; once set, the rest of the COPY is read and dropped. */
  private failure: Error | undefined;
  private settled = false;

  constructor(
    private readonly text: string,
    private readonly onData: CopyDataHandler,
    private readonly afterChunk: ChunkDone,
    private readonly done: (e?: Error) => void,
  ) {}

  submit(connection: PgConnection): void {
    this.connection = connection;
    const stream = connection.stream;
    const listeners = stream.listeners('data');
    if (listeners.length !== 1) throw new Error('COPY: unexpected socket listeners');
    this.pgDataHandler = listeners[0];
    stream.removeListener('data', this.pgDataHandler!);
    stream.pause();
    stream.on('readable', this.onReadable);
    connection.query(this.text);
  }

  private forward(): void {
    const stream = this.connection!.stream;
    while (!this.waiting && !this.detached) {
      const chunk = stream.read() as Buffer | null;
      if (chunk === null) return;
      let more: Promise<void> | void;
      try {
        this.parse(chunk);
        if (this.detached || this.failure) continue;
        more = this.afterChunk();
      } catch (e) {
        this.fail(e as Error);
        continue;
      }
      if (more) {
        this.waiting = true;
        more.then(
          () => {
            this.waiting = false;
            this.forward();
          },
          (e: unknown) => {
            this.waiting = false;
            this.fail(e as Error);
            this.forward();
          },
        );
      }
    }
  }

  /** Walks the messages of one socket chunk. */
  private parse(chunk: Buffer): void {
    let pos = 0;
    if (this.partial) {
      // Complete the cut message with just the bytes it lacks (a small copy, not the chunk).
      let have = this.partial;
      if (have.length < HEADER) {
        const take = Math.min(HEADER - have.length, chunk.length);
        have = Buffer.concat([have, chunk.subarray(0, take)]);
        pos = take;
        if (have.length < HEADER) {
          this.partial = have;
          return;
        }
      }
      const total = 1 + have.readUInt32BE(1);
      const need = total - have.length;
      if (pos + need > chunk.length) {
        this.partial = Buffer.concat([have, chunk.subarray(pos)]);
        return;
      }
      const message = need > 0 ? Buffer.concat([have, chunk.subarray(pos, pos + need)]) : have;
      this.partial = null;
      pos += need;
      const kind = this.message(message, 0, total);
      if (kind === Kind.Done) return this.detach(chunk.subarray(pos));
      if (kind === Kind.Error) return this.detach(Buffer.concat([message, chunk.subarray(pos)]));
    }
    const len = chunk.length;
    while (pos + HEADER <= len) {
      const total = 1 + chunk.readUInt32BE(pos + 1);
      if (pos + total > len) break;
      const kind = this.message(chunk, pos, pos + total);
      // pg reads CommandComplete and ReadyForQuery, or the error from its first byte.
      if (kind === Kind.Done) return this.detach(chunk.subarray(pos + total));
      if (kind === Kind.Error) return this.detach(chunk.subarray(pos));
      pos += total;
    }
    if (pos < len) this.partial = Buffer.from(chunk.subarray(pos));
  }

  /** One whole message at `buf[start, end)`. */
  private message(buf: Buffer, start: number, end: number): Kind {
    switch (buf[start]) {
      case COPY_DATA:
        if (this.failure) return Kind.Data;
        try {
          this.onData(buf, start + HEADER, end);
        } catch (e) {
          // The chunk's other messages must still be walked, or the framing is lost.
          this.fail(e as Error);
        }
        return Kind.Data;
      case COPY_DONE:
        return Kind.Done;
      case ERROR_RESPONSE:
        return Kind.Error;
      default:
        // CopyOutResponse, and what may come between: NoticeResponse, ParameterStatus, …
        return Kind.Other;
    }
  }

  /** Gives the socket back to pg, with the bytes it has not read yet. */
  private detach(rest: Buffer): void {
    this.detached = true;
    const stream = this.connection!.stream;
    stream.removeListener('readable', this.onReadable);
    stream.addListener('data', this.pgDataHandler!);
    this.pgDataHandler!(rest);
    // As copy-to: pg's handler may have paused the stream; resume once it has returned.
    process.nextTick(() => stream.resume());
  }

  /**
   * The consumer failed: the caller hears it now, and the rest of the COPY is read and dropped so
   * the connection ends the command in step with the server.
   */
  private fail(e: Error): void {
    this.failure ??= e;
    this.settle(this.failure);
  }

  private settle(e?: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.done(e);
  }

  /** pg: an ErrorResponse of this query, or the connection's end. */
  handleError(e: Error): void {
    this.failure ??= e;
    this.settle(this.failure);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    this.settle(this.failure);
  }
}
