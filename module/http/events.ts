import type { Request, Response } from 'express';
import type { Status } from '../types.js';

const HEARTBEAT_MS = 25_000;

/**
 * Server-sent events for the screen: one `status` event with the whole Status at connection and after every change
 * (the certificate list or the enabled state). Changes that come in bursts (a copy in progress) are coalesced.
 */
export class EventHub {
  readonly #clients = new Set<Response>();
  readonly #getStatus: () => Status;
  #pending: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(getStatus: () => Status) {
    this.#getStatus = getStatus;
  }

  subscribe(req: Request, res: Response): void {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
    });
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    this.#send(res, this.#getStatus());
    this.#clients.add(res);
    this.#heartbeat ??= setInterval(() => {
      for (const client of this.#clients) client.write(': ping\n\n');
    }, HEARTBEAT_MS).unref();
    req.on('close', () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0 && this.#heartbeat) {
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
      }
    });
  }

  /** Announces that the Status may have changed. */
  notify(): void {
    if (this.#pending || this.#clients.size === 0) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      const status = this.#getStatus();
      for (const client of this.#clients) this.#send(client, status);
    }, 20);
  }

  get size(): number {
    return this.#clients.size;
  }

  close(): void {
    clearTimeout(this.#pending);
    clearInterval(this.#heartbeat);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #send(res: Response, status: Status): void {
    res.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
  }
}
