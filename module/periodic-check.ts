/**
 * The periodic "Testar conexão": a revoked credential or an expired proxy password otherwise only shows at the next
 * token request. The first check runs a few minutes after start, then one every interval, each moved by a random
 * jitter so thousands of installations started by the same update do not call RNDS in the same second. A check is
 * scheduled only after the previous one finished, so two never overlap.
 */
import type { Scheduler } from './config/options.js';

/** The first check: between 2 and 7 minutes after start (or within the interval, if that is shorter). */
export const FIRST_CHECK_MIN_MS = 2 * 60_000;
export const FIRST_CHECK_SPREAD_MS = 5 * 60_000;
/** Each later check: the interval ± 10 %. */
const JITTER_FRACTION = 0.1;

const systemScheduler: Scheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  random: Math.random,
};

export interface PeriodicCheckOptions {
  intervalMinutes: number;
  /** Runs one check; a rejection is reported to `onError` and the schedule goes on. */
  run: () => Promise<unknown>;
  /** Checked at each tick: nothing enabled, nothing to check. */
  shouldRun: () => boolean;
  onError?: (error: unknown) => void;
  scheduler?: Scheduler;
}

/** Delays of the schedule, exposed for the tests and the docs. */
function firstDelayMs(intervalMs: number, random: number): number {
  if (intervalMs <= FIRST_CHECK_MIN_MS) return Math.round(intervalMs * random);
  return Math.round(Math.min(intervalMs, FIRST_CHECK_MIN_MS + FIRST_CHECK_SPREAD_MS * random));
}

function nextDelayMs(intervalMs: number, random: number): number {
  return Math.max(1, Math.round(intervalMs * (1 - JITTER_FRACTION + 2 * JITTER_FRACTION * random)));
}

export class PeriodicCheck {
  readonly #options: PeriodicCheckOptions;
  readonly #scheduler: Scheduler;
  readonly #intervalMs: number;
  #handle: unknown = null;
  #stopped = false;
  #running: Promise<void> | null = null;

  constructor(options: PeriodicCheckOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#intervalMs = options.intervalMinutes * 60_000;
  }

  /** Schedules the first check (nothing when the interval is 0). */
  start(): void {
    if (this.#intervalMs <= 0 || this.#stopped) return;
    this.#schedule(firstDelayMs(this.#intervalMs, this.#random()));
  }

  /** Cancels the next check; waits for one under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#handle !== null) this.#scheduler.clearTimeout(this.#handle);
    this.#handle = null;
    await this.#running;
  }

  #random(): number {
    const value = (this.#scheduler.random ?? Math.random)();
    return Math.min(Math.max(value, 0), 1);
  }

  #schedule(ms: number): void {
    this.#handle = this.#scheduler.setTimeout(() => this.#tick(), ms);
  }

  #tick(): void {
    this.#handle = null;
    if (this.#stopped) return;
    const work = this.#options.shouldRun() ? Promise.resolve().then(this.#options.run) : Promise.resolve();
    this.#running = work
      .then(
        () => undefined,
        (error: unknown) => this.#options.onError?.(error),
      )
      .finally(() => {
        this.#running = null;
        if (!this.#stopped) this.#schedule(nextDelayMs(this.#intervalMs, this.#random()));
      });
  }
}
