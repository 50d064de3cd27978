import type { Request, Response } from 'express';
import type { Scheduler } from '../config/options.js';
import { RndsError } from '../errors.js';
import type { Status } from '../types.js';

const HEARTBEAT_MS = 25_000;
/** Streams open at once, all callers together (the standalone server's connection cap is higher). */
export const MAX_STREAMS = 100;
/** Streams open at once per login session (tabs of one browser). */
export const MAX_STREAMS_PER_SESSION = 5;
/** Heartbeats a client may spend without reading what it was sent before it is closed. */
const MAX_STALLED_BEATS = 3;
/** The shortest time between two `sends` events: a host reporting without pause refreshes each open tab once a second. */
export const SENDS_EVENT_INTERVAL_MS = 1000;
/** How long the first report after a quiet time waits for the rest of its burst. */
const COALESCE_MS = 20;

const systemScheduler: Scheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface EventHubOptions {
  maxStreams?: number;
  maxStreamsPerSession?: number;
  heartbeatMs?: number;
  /** Timers of the `sends` event (tests drive them by hand); the module's `scheduler` option. */
  scheduler?: Scheduler;
  sendsIntervalMs?: number;
}

/** Who a stream belongs to: its login session (for the per-session cap and to end it at logout or expiry). */
export interface StreamOwner {
  sessionId?: string;
  /** Asked before every write: false ends the stream (the session logged out or expired). */
  isLive?: () => boolean;
}

interface Client {
  res: Response;
  owner: StreamOwner;
  /** A status event was skipped because the client had not read the previous one: send the latest when it drains. */
  stale: boolean;
  /** Likewise a sends event. */
  staleSends: boolean;
  stalledBeats: number;
}

/**
 * Server-sent events for the screen: one `status` event with the whole Status at connection and after every change
 * (the certificate list or the enabled state). Changes that come in bursts (a copy in progress) are coalesced.
 *
 * And one `sends` event at connection (once a batch was stored) and after sends were stored (a report, POST
 * /api/envios or recordSends), carrying only `{"version":"…"}`: an opaque value (the count of batches announced by
 * this process) that changes with every stored batch and that the RNDS tab's page also carries, so a tab refreshes
 * exactly when it shows an older version — never a record id, a code or a diagnostic (the tab asks for its data with
 * its session, like any page). A burst of reports is one event: the first waits 20 ms for the rest, and after each
 * event the next waits at least a second (the last batch is always announced).
 *
 * Bounded: the Status (and the sends version) is serialised once per change and that one string is written to every
 * client; a client that has not read the previous event gets no new one until it drains (then it gets the latest), so
 * each client holds at most one event of each kind in its buffers; one that stays stalled for several heartbeats is
 * closed; the number of streams is capped globally and per session; a session's streams end when it logs out or
 * expires.
 */
export class EventHub {
  readonly #clients = new Set<Client>();
  readonly #getStatus: () => Status;
  readonly #maxStreams: number;
  readonly #maxPerSession: number;
  readonly #heartbeatMs: number;
  #pending: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** The current Status as an event, shared by every client until the next change. */
  #frame: string | undefined;
  readonly #scheduler: Scheduler;
  readonly #sendsIntervalMs: number;
  /**
   * Stored batches announced so far. A restart starts again at 0: a tab whose stream was cut asks for itself again
   * when it reconnects, so an equal number from another process is never taken for the page's. Nothing random: two
   * installations in the same state write the same bytes (test/http/renewal-oracle.test.ts).
   */
  #sendsChanges = 0;
  /** The current sends version as an event, shared by every client until the next report. */
  #sendsFrame: string | undefined;
  /** `waiting`: the burst's first timer runs; `cooling`: an event went out less than the interval ago. */
  #sendsTimer: { handle: unknown; phase: 'waiting' | 'cooling'; dirty: boolean } | undefined;

  constructor(getStatus: () => Status, options: EventHubOptions = {}) {
    this.#getStatus = getStatus;
    this.#maxStreams = options.maxStreams ?? MAX_STREAMS;
    this.#maxPerSession = options.maxStreamsPerSession ?? MAX_STREAMS_PER_SESSION;
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#sendsIntervalMs = options.sendsIntervalMs ?? SENDS_EVENT_INTERVAL_MS;
  }

  /** The sends version now: the RNDS tab's page carries it (read it before reading the store). */
  get sendsVersion(): string {
    return String(this.#sendsChanges);
  }

  subscribe(req: Request, res: Response, owner: StreamOwner = {}): void {
    if (this.#clients.size >= this.#maxStreams) {
      throw new RndsError('TOO_MANY_STREAMS', `Muitas telas abertas ao mesmo tempo (${this.#maxStreams}): feche as que não usa; esta tela atualiza ao recarregar.`, {
        retryAfterSeconds: 30,
      });
    }
    if (owner.sessionId !== undefined && this.#countFor(owner.sessionId) >= this.#maxPerSession) {
      throw new RndsError('TOO_MANY_STREAMS', `Muitas abas desta sessão abertas ao mesmo tempo (${this.#maxPerSession}): feche as que não usa; esta aba atualiza ao recarregar.`, {
        retryAfterSeconds: 30,
      });
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
    });
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const client: Client = { res, owner, stale: false, staleSends: false, stalledBeats: 0 };
    this.#clients.add(client);
    res.write(this.#currentFrame());
    // The version the page may compare with its own: a report between the page and its stream is not missed. None
    // before this process stored a batch: every page it rendered carries 0 then, and the stream stays as it was.
    if (this.#sendsChanges > 0) res.write(this.#currentSendsFrame());
    res.on('drain', () => {
      client.stalledBeats = 0;
      if (client.stale && this.#clients.has(client)) {
        client.stale = false;
        this.#write(client, this.#currentFrame());
      }
      if (client.staleSends && this.#clients.has(client)) {
        client.staleSends = false;
        this.#write(client, this.#currentSendsFrame(), 'sends');
      }
    });
    this.#heartbeat ??= setInterval(() => this.#beat(), this.#heartbeatMs).unref();
    req.on('close', () => this.#remove(client));
  }

  /** Announces that the Status may have changed. */
  notify(): void {
    this.#frame = undefined;
    if (this.#pending || this.#clients.size === 0) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.broadcast();
    }, 20);
  }

  /** Sends the current Status to every client now (notify() coalesces into this). */
  broadcast(): void {
    this.#frame = undefined;
    if (this.#clients.size === 0) return;
    const frame = this.#currentFrame();
    for (const client of this.#clients) this.#write(client, frame);
  }

  /** Announces that sends were stored: a new version now, one `sends` event for the whole burst a little later. */
  notifySends(): void {
    this.#sendsChanges++;
    this.#sendsFrame = undefined;
    const timer = this.#sendsTimer;
    if (timer) {
      if (timer.phase === 'cooling') timer.dirty = true;
      return;
    }
    if (this.#clients.size === 0) return; // a stream opened later gets the version at connection
    this.#scheduleSends('waiting', COALESCE_MS);
  }

  #scheduleSends(phase: 'waiting' | 'cooling', ms: number): void {
    const timer = { handle: undefined as unknown, phase, dirty: false };
    this.#sendsTimer = timer;
    timer.handle = this.#scheduler.setTimeout(() => {
      this.#sendsTimer = undefined;
      if (phase === 'cooling' && !timer.dirty) return;
      if (this.#clients.size === 0) return;
      const frame = this.#currentSendsFrame();
      for (const client of this.#clients) this.#write(client, frame, 'sends');
      this.#scheduleSends('cooling', this.#sendsIntervalMs);
    }, ms);
  }

  /** Ends every stream of a session (logout, expiry). */
  endSession(sessionId: string): void {
    for (const client of this.#clients) if (client.owner.sessionId === sessionId) this.#end(client);
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Bytes written to the streams and not yet taken by the clients (the bound the tests check). */
  get bufferedBytes(): number {
    let total = 0;
    for (const { res } of this.#clients) total += res.writableLength + (res.socket?.writableLength ?? 0);
    return total;
  }

  close(): void {
    clearTimeout(this.#pending);
    if (this.#sendsTimer) this.#scheduler.clearTimeout(this.#sendsTimer.handle);
    this.#sendsTimer = undefined;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const client of this.#clients) client.res.end();
    this.#clients.clear();
  }

  #currentFrame(): string {
    this.#frame ??= `event: status\ndata: ${JSON.stringify(this.#getStatus())}\n\n`;
    return this.#frame;
  }

  #currentSendsFrame(): string {
    this.#sendsFrame ??= `event: sends\ndata: ${JSON.stringify({ version: this.sendsVersion })}\n\n`;
    return this.#sendsFrame;
  }

  #countFor(sessionId: string): number {
    let n = 0;
    for (const client of this.#clients) if (client.owner.sessionId === sessionId) n++;
    return n;
  }

  #write(client: Client, chunk: string, kind: 'status' | 'sends' = 'status'): void {
    if (client.owner.isLive && !client.owner.isLive()) return this.#end(client);
    if (client.res.writableNeedDrain) {
      // It still has the previous event to read: it gets the latest one when it drains.
      if (kind === 'status') client.stale = true;
      else client.staleSends = true;
      return;
    }
    client.res.write(chunk);
  }

  #beat(): void {
    for (const client of this.#clients) {
      if (client.owner.isLive && !client.owner.isLive()) {
        this.#end(client);
      } else if (client.res.writableNeedDrain) {
        if (++client.stalledBeats >= MAX_STALLED_BEATS) this.#end(client, true);
      } else {
        client.res.write(': ping\n\n');
      }
    }
  }

  #end(client: Client, destroy = false): void {
    this.#remove(client);
    if (destroy) client.res.destroy();
    else client.res.end();
  }

  #remove(client: Client): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0 && this.#heartbeat) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }
}
