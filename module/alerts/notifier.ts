/**
 * The alert scheduler: on every Status change (and on `check()`), compares the Status with what the state file
 * remembers, records new events there first (so a restart never resends them), then delivers them in the
 * background — each channel on its own, retried with exponential backoff a bounded number of times. Nothing here is
 * awaited by a request.
 */
import type { AlertEvent, AlertMemory, StateStore } from '../state/index.js';
import { ALERT_CHANNELS, recordOf, type AlertChannel } from '../enums.js';
import type { AlertsInfo, Status } from '../types.js';
import { AlertDeliveryError, type AlertSender } from './channels.js';
import { detectAlerts, type SendCodes } from './detect.js';

export interface AlertNotifierOptions {
  store: StateStore;
  senders: AlertSender[];
  status: () => Status;
  /** The codes RNDS gave in the sends behind RNDS_CREDENTIAL_REFUSED and CLOCK_SKEW (the webhook's `rndsCode`). */
  sendCodes?: () => SendCodes;
  now: () => Date;
  /** The installation's time zone, for the dates in the messages. */
  timeZone: string;
  /** Attempts per delivery (first try included). */
  attempts?: number;
  /** First retry delay; doubles at each retry. */
  retryDelayMs?: number;
  /** Waits between attempts (tests inject an immediate one). */
  sleep?: (ms: number) => Promise<void>;
  /** The guide's address, quoted in renewal alerts. */
  guideUrl?: string | null;
  /**
   * After each attempt that ends a delivery (sent, or failed for good) and after each failed attempt that will be
   * retried (`retry` set: the attempt, the attempts allowed and the wait before the next one).
   */
  onDelivery?: (channel: AlertChannel, ok: boolean, event: AlertEvent, message?: string, retry?: AlertRetry) => void;
}

/** A failed attempt that will be tried again. */
export interface AlertRetry {
  attempt: number;
  attempts: number;
  delayMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class AlertNotifier {
  readonly #o: AlertNotifierOptions;
  readonly #attempts: number;
  readonly #retryDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #inFlight = new Map<string, Promise<void>>();
  #checking: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #sent: Record<AlertChannel, number> = recordOf(ALERT_CHANNELS, () => 0);
  readonly #failed: Record<AlertChannel, number> = recordOf(ALERT_CHANNELS, () => 0);

  constructor(options: AlertNotifierOptions) {
    this.#o = options;
    this.#attempts = Math.max(1, options.attempts ?? 5);
    this.#retryDelayMs = options.retryDelayMs ?? 30_000;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  get channels(): AlertChannel[] {
    return this.#o.senders.map((s) => s.channel);
  }

  /** What Status shows about the alerts. */
  info(): AlertsInfo {
    const memory = this.#o.store.get().alerts;
    const pending = (memory?.events ?? []).reduce((n, e) => n + Object.values(e.deliveries).filter((d) => d === 'pending').length, 0);
    return { channels: this.channels, pending, sent: { ...this.#sent }, failed: { ...this.#failed }, lastFailure: memory?.lastFailure ?? null };
  }

  /** Evaluates the Status now; resolves when the resulting deliveries (and earlier pending ones) are over. */
  check(): Promise<void> {
    const run = this.#checking.then(() => this.#check());
    this.#checking = run.catch(() => undefined);
    return run.then(() => this.settled());
  }

  /** Resolves when every delivery started so far has ended (sent or failed for good). */
  async settled(): Promise<void> {
    await this.#checking;
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight.values()]);
  }

  close(): void {
    this.#closed = true;
    for (const sender of this.#o.senders) sender.close();
  }

  async #check(): Promise<void> {
    if (this.#closed) return;
    const status = this.#o.status();
    const sendCodes = this.#o.sendCodes?.();
    const now = this.#o.now();
    const detect = (previous: AlertMemory | undefined) =>
      detectAlerts(status, previous, now, this.channels, { timeZone: this.#o.timeZone, guideUrl: this.#o.guideUrl ?? null, sendCodes }).memory;
    const before = this.#o.store.get().alerts;
    if (JSON.stringify(detect(before)) !== JSON.stringify(before)) {
      // Written before sending: once recorded, an event is never detected again, even after a crash. Detected again
      // from the state the update is applied to: a delivery recorded while this update waited in the store's queue
      // must not be overwritten with the older "pending" (the event would be sent a second time).
      await this.#o.store.update((state) => ({ ...state, alerts: detect(state.alerts) }));
    }
    for (const event of this.#o.store.get().alerts?.events ?? []) {
      for (const sender of this.#o.senders) {
        if (event.deliveries[sender.channel] === 'pending') this.#deliver(event, sender);
      }
    }
  }

  #deliver(event: AlertEvent, sender: AlertSender): void {
    const id = `${sender.channel}:${event.key}`;
    if (this.#inFlight.has(id)) return;
    const run = (async () => {
      let lastError = '';
      for (let attempt = 1; attempt <= this.#attempts && !this.#closed; attempt++) {
        try {
          await sender.send(event);
          this.#sent[sender.channel] += 1;
          await this.#record(event.key, sender.channel, 'sent');
          this.#o.onDelivery?.(sender.channel, true, event);
          return;
        } catch (error) {
          lastError = error instanceof AlertDeliveryError ? error.message : 'erro inesperado no envio';
          if (attempt < this.#attempts && !this.#closed) {
            // Shown at once (Status lastFailure, /metrics, the log), not only after the last retry minutes later: a
            // refused SMTP login or a wrong webhook address is fixed sooner when it is seen at the first attempt.
            const delayMs = this.#retryDelayMs * 2 ** (attempt - 1);
            await this.#record(event.key, sender.channel, 'retrying', lastError).catch(() => undefined);
            this.#o.onDelivery?.(sender.channel, false, event, lastError, { attempt, attempts: this.#attempts, delayMs });
            await this.#sleep(delayMs);
          }
        }
      }
      if (this.#closed) return; // still pending: resumed at the next start
      this.#failed[sender.channel] += 1;
      await this.#record(event.key, sender.channel, 'failed', lastError);
      this.#o.onDelivery?.(sender.channel, false, event, lastError);
    })()
      .catch(() => undefined)
      .finally(() => this.#inFlight.delete(id));
    this.#inFlight.set(id, run);
  }

  /** Records how a delivery went: `retrying` leaves it pending and records the failure. */
  async #record(key: string, channel: AlertChannel, result: 'sent' | 'failed' | 'retrying', message?: string): Promise<void> {
    await this.#o.store.update((state) => {
      const alerts = state.alerts;
      if (!alerts) return state;
      const events = result === 'retrying' ? alerts.events : alerts.events.map((e) => (e.key === key ? { ...e, deliveries: { ...e.deliveries, [channel]: result } } : e));
      const lastFailure: AlertMemory['lastFailure'] =
        result !== 'sent'
          ? { channel, event: key, at: this.#o.now().toISOString(), message: message ?? '' }
          : alerts.lastFailure?.channel === channel
            ? null
            : alerts.lastFailure;
      return { ...state, alerts: { ...alerts, events, lastFailure } };
    });
  }
}

/** A wait in pt-BR for the log: "30 s", "2 min", "1 min 30 s". */
export function waitText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}
