import type { Scheduler } from '../../module/config/options.js';

export interface FakeScheduler extends Scheduler {
  /** Timers set and not yet fired or cleared, with their delays. */
  readonly pending: ReadonlyArray<{ ms: number }>;
  /** Every delay ever asked for, in order. */
  readonly delays: readonly number[];
  /** Fires the oldest pending timer (throws when there is none). */
  fire(): void;
  /** Resolves once a timer is pending (at once if one already is): waits on the event, not on the clock. */
  whenScheduled(): Promise<void>;
}

/** A scheduler the test drives by hand: no real waiting, no wall clock. `randoms` are returned in turn. */
export function fakeScheduler(randoms: number[] = [0.5]): FakeScheduler {
  const pending: Array<{ ms: number; fn: () => void }> = [];
  const delays: number[] = [];
  let next = 0;
  const waiting: Array<() => void> = [];
  return {
    setTimeout(fn, ms) {
      const timer = { ms, fn };
      pending.push(timer);
      delays.push(ms);
      waiting.splice(0).forEach((resolve) => resolve());
      return timer;
    },
    whenScheduled() {
      return pending.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve));
    },
    clearTimeout(handle) {
      const index = pending.indexOf(handle as (typeof pending)[number]);
      if (index >= 0) pending.splice(index, 1);
    },
    random() {
      const value = randoms[Math.min(next, randoms.length - 1)] ?? 0.5;
      next += 1;
      return value;
    },
    get pending() {
      return pending;
    },
    get delays() {
      return delays;
    },
    fire() {
      const timer = pending.shift();
      if (!timer) throw new Error('no timer pending');
      timer.fn();
    },
  };
}
