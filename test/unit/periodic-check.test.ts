import { describe, expect, it } from 'vitest';
import { FIRST_CHECK_MIN_MS, FIRST_CHECK_SPREAD_MS, PeriodicCheck } from '../../module/periodic-check.js';
import { DEFAULT_CONNECTION_CHECK_MINUTES } from '../../module/config/options.js';
import { parseEnv } from '../../module/config/env.js';
import { fakeScheduler } from '../support/fake-scheduler.js';

const SIX_HOURS_MS = 6 * 60 * 60_000;

/** A check whose end the test decides. */
function controllableRun() {
  const calls: Array<() => void> = [];
  return {
    calls,
    run: () => new Promise<void>((resolve) => calls.push(resolve)),
  };
}

/** Lets the promise chain of a finished check settle (microtasks only, no timers). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('the periodic connection check', () => {
  it('when nothing is configured, then the default is every 6 hours', () => {
    expect(DEFAULT_CONNECTION_CHECK_MINUTES).toBe(360);
    expect(parseEnv({}).RNDS_CONNECTION_CHECK_MINUTES).toBe(360);
    expect(parseEnv({ RNDS_CONNECTION_CHECK_MINUTES: '0' }).RNDS_CONNECTION_CHECK_MINUTES).toBe(0);
  });

  it('when started, then the first check comes a few minutes later, moved by the jitter', () => {
    const early = fakeScheduler([0]);
    const late = fakeScheduler([0.999]);
    new PeriodicCheck({ intervalMinutes: 360, run: async () => {}, shouldRun: () => true, scheduler: early }).start();
    new PeriodicCheck({ intervalMinutes: 360, run: async () => {}, shouldRun: () => true, scheduler: late }).start();

    expect(early.delays).toEqual([FIRST_CHECK_MIN_MS]);
    expect(late.delays[0]).toBeGreaterThan(FIRST_CHECK_MIN_MS + 0.99 * FIRST_CHECK_SPREAD_MS);
    expect(late.delays[0]).toBeLessThanOrEqual(FIRST_CHECK_MIN_MS + FIRST_CHECK_SPREAD_MS);
  });

  it('when a check ends, then the next one is the interval give or take 10 %, never a fixed beat', async () => {
    const scheduler = fakeScheduler([0.5, 0, 0.999, 0.5]);
    const check = new PeriodicCheck({ intervalMinutes: 360, run: async () => {}, shouldRun: () => true, scheduler });
    check.start();

    for (let i = 0; i < 3; i++) {
      scheduler.fire();
      await settle();
    }

    const [, a, b, c] = scheduler.delays;
    expect(a).toBe(Math.round(SIX_HOURS_MS * 0.9));
    expect(b).toBeGreaterThan(SIX_HOURS_MS * 1.09);
    expect(c).toBe(SIX_HOURS_MS);
    await check.stop();
  });

  it('when a check is slow, then no other is scheduled until it ends (never overlapping)', async () => {
    const scheduler = fakeScheduler();
    const { calls, run } = controllableRun();
    const check = new PeriodicCheck({ intervalMinutes: 1, run, shouldRun: () => true, scheduler });
    check.start();

    scheduler.fire();
    await settle();
    expect(calls).toHaveLength(1);
    expect(scheduler.pending).toHaveLength(0);

    calls[0]!();
    await settle();
    expect(scheduler.pending).toHaveLength(1);
    await check.stop();
  });

  it('when nothing is enabled, then the tick does nothing but keeps the schedule', async () => {
    const scheduler = fakeScheduler();
    let runs = 0;
    const check = new PeriodicCheck({ intervalMinutes: 360, run: async () => void runs++, shouldRun: () => false, scheduler });
    check.start();

    scheduler.fire();
    await settle();

    expect(runs).toBe(0);
    expect(scheduler.pending).toHaveLength(1);
    await check.stop();
  });

  it('when a check fails, then the error is reported and the schedule goes on', async () => {
    const scheduler = fakeScheduler();
    const errors: unknown[] = [];
    const check = new PeriodicCheck({ intervalMinutes: 360, run: async () => Promise.reject(new Error('boom')), shouldRun: () => true, onError: (e) => errors.push(e), scheduler });
    check.start();

    scheduler.fire();
    await settle();

    expect(errors).toHaveLength(1);
    expect(scheduler.pending).toHaveLength(1);
    await check.stop();
  });

  it('when the interval is 0, then nothing is ever scheduled; when stopped, the pending check is cancelled', async () => {
    const off = fakeScheduler();
    new PeriodicCheck({ intervalMinutes: 0, run: async () => {}, shouldRun: () => true, scheduler: off }).start();
    const on = fakeScheduler();
    const check = new PeriodicCheck({ intervalMinutes: 360, run: async () => {}, shouldRun: () => true, scheduler: on });
    check.start();

    await check.stop();

    expect(off.delays).toEqual([]);
    expect(on.pending).toHaveLength(0);
  });
});
