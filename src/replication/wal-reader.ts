import { LogicalReplicationService } from 'pg-logical-replication';
import { AbstractPlugin } from 'pg-logical-replication/dist/output-plugins/abstract.plugin.js';
import type { Client } from 'pg';
import type { TapConfig } from '../config/tap-config';
import { clientConfig } from '../db/connect';
import { formatLsn, INVALID_LSN, lsnFromBigInt, parseLsn, type Lsn } from './lsn';
import { wal2jsonOptions, type Wal2jsonStartOptions } from './wal2json/start-options';

/** One XLogData frame: its start LSN (docs/replication-facts.md) and the plugin's raw message. */
export interface WalData {
  readonly kind: 'data';
  readonly lsn: Lsn;
  readonly payload: Buffer;
}

/** A primary keepalive: how far the walsender has looked. */
export interface WalKeepalive {
  readonly kind: 'keepalive';
  readonly walEnd: Lsn;
}

export type WalEvent = WalData | WalKeepalive;

export interface PgoutputStartOptions {
  readonly plugin?: 'pgoutput';
  readonly publication: string;
  /** 1, or 2 for streamed in-progress transactions (PG 14+). */
  readonly protoVersion: 1 | 2;
  /** Decode `pg_logical_emit_message` messages (PG 14+), used as heartbeats. */
  readonly messages: boolean;
}

/** The output plugin and its START_REPLICATION options. */
export type PluginStartOptions = PgoutputStartOptions | Wal2jsonStartOptions;

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

function pgoutputOptions(o: PgoutputStartOptions): string[] {
  return [
    `proto_version '${o.protoVersion}'`,
    // publication_names is a list of identifiers inside a string literal: quote both ways.
    `publication_names ${quoteLiteral(quoteIdent(o.publication))}`,
    ...(o.messages ? [`messages 'true'`] : []),
    ...(o.protoVersion >= 2 ? [`streaming 'true'`] : []),
  ];
}

/**
 * pg-logical-replication runs the replication connection; this plugin hands back each message's
 * bytes untouched, because its bundled pgoutput parser sends column text through pg's global type
 * parsers and reads OIDs as signed integers. Decoding is `change-decoder.ts`'s job.
 */
class RawPlugin extends AbstractPlugin<PluginStartOptions> {
  get name(): string {
    return this.options.plugin ?? 'pgoutput';
  }

  start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    const o = this.options;
    const options =
      o.plugin === 'wal2json'
        ? wal2jsonOptions(o).map(([k, v]) => `${quoteIdent(k)} ${quoteLiteral(v)}`)
        : pgoutputOptions(o);
    return client.query(
      `START_REPLICATION SLOT ${quoteIdent(slotName)} LOGICAL ${lastLsn} (${options.join(', ')})`,
    );
  }

  parse(buffer: Buffer): Buffer {
    return buffer;
  }
}

/** Events held before the socket is paused: bounded memory whatever the consumer's speed. */
const QUEUE_LIMIT = 1000;
/** Status updates keep flowing while the consumer is slow (well under wal_sender_timeout). */
const STATUS_INTERVAL_MS = 10_000;

/**
 * Reads a logical slot as a pull stream of frames. The only position ever reported to the server
 * is `confirmed` (write = flush = apply), set by `confirm()`: never what was merely received.
 * pg-logical-replication's automatic acknowledgement is off, and its timer too, because both
 * acknowledge the last *received* LSN (docs/replication-facts.md).
 */
export class WalReader {
  private readonly service: LogicalReplicationService;
  private readonly queue: WalEvent[] = [];
  private wake: (() => void) | undefined;
  private paused = false;
  private failure: Error | undefined;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;
  private confirmed: Lsn;
  private onStartFailure: ((e: Error) => void) | undefined;

  constructor(
    config: TapConfig,
    private readonly slotName: string,
    private readonly options: PluginStartOptions,
    confirmed: Lsn,
    /** How often status updates go out on their own (src/replication/status-interval.ts). */
    private readonly statusEveryMs = STATUS_INTERVAL_MS,
  ) {
    this.confirmed = confirmed;
    this.service = new LogicalReplicationService(clientConfig(config), {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      // Not the library's flow control: it holds data frames in a queue of its own while passing
      // keepalives on at once, so a keepalive could overtake frames received before it, and a
      // consumer trusting its walEnd would skip them. Frames and keepalives stay in one queue here,
      // in the order they arrived, and the socket is paused when that queue is full.
      flowControl: { enabled: false },
    });
    // The payload is a view into pg's read buffer, which is reused for the next socket read:
    // copy it before queueing, or a queued frame is overwritten under load.
    this.service.on('data', (lsn: string, payload: Buffer) =>
      this.push({ kind: 'data', lsn: parseLsn(lsn), payload: Buffer.from(payload) }),
    );
    this.service.on('heartbeat', (lsn: string, _ts: number, shouldRespond: boolean) => {
      this.push({ kind: 'keepalive', walEnd: parseLsn(lsn) });
      if (shouldRespond) void this.sendStatus();
    });
    this.service.on('error', (e: Error) => this.fail(e));
  }

  /** Starts streaming; the server resumes at max(start, the slot's confirmed_flush_lsn). */
  async start(start: Lsn): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.onStartFailure = reject;
      this.service.once('start', () => resolve());
      this.service
        .subscribe(new RawPlugin(this.options), this.slotName, formatLsn(start))
        .then(() => {
          this.ended = true;
          this.notify();
        })
        .catch((e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
    });
    this.onStartFailure = undefined;
    this.timer = setInterval(() => void this.sendStatus(), this.statusEveryMs);
    this.timer.unref();
  }

  /**
   * The next frame or keepalive; null once the server ended the stream; 'idle' when `idleMs`
   * passed with nothing to return. Throws the stream's error. The wait is part of this call, so no
   * event can be taken by a read its caller already gave up on, and no timer is armed while
   * events are queued.
   */
  async next(idleMs?: number): Promise<WalEvent | null | 'idle'> {
    for (;;) {
      if (this.failure) throw this.failure;
      const e = this.poll();
      if (e) return e;
      if (this.ended) return null;
      if (!(await this.wait(idleMs))) return 'idle';
    }
  }

  /**
   * The next queued event, or undefined when none is queued (or the stream failed: `next` throws
   * it). Lets a backlog be drained without a promise per frame.
   */
  poll(): WalEvent | undefined {
    if (this.failure) return undefined;
    const e = this.queue.shift();
    if (e && this.queue.length < QUEUE_LIMIT / 2) this.releaseProducer();
    return e;
  }

  /** Until an event is queued (true) or `idleMs` passed (false). */
  private wait(idleMs?: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer =
        idleMs === undefined
          ? undefined
          : setTimeout(() => {
              this.wake = undefined;
              resolve(false);
            }, idleMs);
      this.wake = () => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /**
   * Sets the position reported to the server, and reports it now. With ack_mode next_run this is
   * called once, with the incoming state's LSN.
   */
  async confirm(lsn: Lsn): Promise<void> {
    this.confirmed = lsn;
    await this.sendStatus();
  }

  get confirmedLsn(): Lsn {
    return this.confirmed;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.releaseProducer();
    await this.service.stop().catch(() => {});
    this.ended = true;
    this.notify();
  }

  /**
   * Reports the confirmed position and asks for an immediate keepalive, whose `walEnd` tells how
   * far the walsender has decoded: how an idle reader learns it has caught up.
   */
  async ping(): Promise<void> {
    await this.sendStatus(true);
  }

  /** pg-logical-replication's acknowledge(x) reports x + 1; asking for lsn − 1 reports lsn exactly. */
  private async sendStatus(ping = false): Promise<void> {
    if (this.confirmed === INVALID_LSN) return;
    await this.service.acknowledge(formatLsn(lsnFromBigInt(this.confirmed - 1n)), ping);
  }

  /** Queues an event in arrival order; a full queue pauses the socket (our backpressure). */
  private push(e: WalEvent): void {
    this.queue.push(e);
    this.notify();
    if (this.queue.length >= QUEUE_LIMIT && !this.paused) {
      this.paused = true;
      this.socket()?.pause();
    }
  }

  private releaseProducer(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket()?.resume();
  }

  /**
   * The replication connection's socket. pg-logical-replication keeps it private (its own flow
   * control reaches it the same way); pausing it stops reading, and TCP then slows the server.
   */
  private socket(): { pause(): void; resume(): void } | undefined {
    const internals = this.service as unknown as {
      _connection?: { stream?: { pause(): void; resume(): void } };
    };
    return internals._connection?.stream;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.onStartFailure?.(e);
    this.notify();
  }
}
