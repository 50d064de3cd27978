/**
 * SIGKILL at random points of the enable/disable loop: the state must always load, be one of the
 * versions the child could have written, keep its contra-chave and keep the sealed password usable.
 */
import fsp from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox, StateStore, type PersistedState } from '../../../module/state/index.js';
import { counterOf, passwordFor, versionFor } from './helpers/versions.js';
import { makeTempRoot, spawnHelper } from './support.js';

const LANES = 4;
const KILLS_PER_LANE = 52; // 208 kills in all
const TEMP_FILE = /\.tmp$/;

interface LaneReport {
  kills: number;
  killedWhileOpening: number;
  leftoverTempSeen: number;
  maxCounter: number;
}

function withoutSecret(state: PersistedState): unknown {
  return { ...state, enabled: state.enabled ? { ...state.enabled, secret: null } : null };
}

/** Waits until the child prints `line`; rejects if it exits first. */
function waitForLine(child: ChildProcess, line: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (seen.split('\n').includes(line)) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before "${line}": ${stderr()}`)));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runLane(dataDir: string, contraChave: string, stop: { now: boolean }): Promise<LaneReport> {
  const report: LaneReport = { kills: 0, killedWhileOpening: 0, leftoverTempSeen: 0, maxCounter: 0 };
  let previous = 0;
  for (let i = 0; i < KILLS_PER_LANE && !stop.now; i += 1) {
    const child = spawnHelper('flip-loop.ts', [dataDir]);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // One kill in eight lands while the child is still opening (lock, cleanup, load).
    const duringOpen = i % 8 === 0;
    await waitForLine(child, duringOpen ? 'start' : 'ready', () => stderr);
    await sleep(duringOpen ? Math.random() * 5 : 5 + Math.random() * 55);
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode, stderr).toBe('SIGKILL');
    report.kills += 1;
    if (duringOpen) report.killedWhileOpening += 1;

    const names = await fsp.readdir(dataDir);
    if (names.some((name) => TEMP_FILE.test(name))) report.leftoverTempSeen += 1;
    const state = await StateStore.read(dataDir);
    expect(state).not.toBeNull();
    const n = counterOf(state!);
    expect(state!.contraChave).toBe(contraChave);
    const expected = n === 0 ? { ...state!, enabled: null, connection: null } : versionFor(state!, n, undefined);
    expect(withoutSecret(state!)).toEqual(withoutSecret(expected));
    expect(n).toBeGreaterThanOrEqual(previous);
    if (state!.enabled) {
      const box = await SecretBox.open(dataDir);
      expect(box.unseal(state!.enabled.secret)).toBe(passwordFor(n));
    }
    previous = n;
  }
  report.maxCounter = previous;
  return report;
}

describe('crash safety', () => {
  let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
  beforeAll(async () => {
    tmp = await makeTempRoot();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it(
    'when a process enabling and disabling in a loop is SIGKILLed at random points over 200 times, then the state always loads, is one the process wrote, keeps its contra-chave, and leftovers are cleaned at the next start',
    async () => {
      const dirs = Array.from({ length: LANES }, (_, lane) => `${tmp.root}/lane-${lane}`);
      const contraChaves: string[] = [];
      for (const dir of dirs) {
        const store = await StateStore.open({ dataDir: dir });
        contraChaves.push(store.get().contraChave);
        await store.close();
      }

      const started = Date.now();
      // When one lane fails the others stop at their next round, so cleanup never races a child.
      const stop = { now: false };
      const settled = await Promise.allSettled(
        dirs.map((dir, lane) =>
          runLane(dir, contraChaves[lane]!, stop).catch((error: unknown) => {
            stop.now = true;
            throw error;
          }),
        ),
      );
      const failed = settled.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      const reports = settled.map((result) => (result as PromiseFulfilledResult<LaneReport>).value);
      const seconds = (Date.now() - started) / 1000;

      for (const [lane, dir] of dirs.entries()) {
        const store = await StateStore.open({ dataDir: dir });
        expect(store.get().contraChave).toBe(contraChaves[lane]);
        await store.close();
        expect((await fsp.readdir(dir)).filter((name) => TEMP_FILE.test(name))).toEqual([]);
      }
      const total = reports.reduce(
        (sum, r) => ({
          kills: sum.kills + r.kills,
          killedWhileOpening: sum.killedWhileOpening + r.killedWhileOpening,
          leftoverTempSeen: sum.leftoverTempSeen + r.leftoverTempSeen,
          maxCounter: sum.maxCounter + r.maxCounter,
        }),
        { kills: 0, killedWhileOpening: 0, leftoverTempSeen: 0, maxCounter: 0 },
      );
      expect(total.kills).toBeGreaterThanOrEqual(200);
      // Figures for the report, not assertions on speed.
      console.log(
        `[crash] ${total.kills} SIGKILLs (${total.killedWhileOpening} while opening) in ${seconds.toFixed(1)} s; ` +
          `${total.maxCounter} states written in all; temp files left behind after ${total.leftoverTempSeen} kills, all cleaned at the next start`,
      );
    },
    180_000,
  );
});
