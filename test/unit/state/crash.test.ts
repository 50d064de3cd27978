/**
 * Crash safety of the data folder.
 *
 * Coverage: every crash point, enumerated in-process. The state layer calls a seam (`fsSeam`) just
 * before each open/write/fsync/rename/link/unlink; the seam here copies the data folder at that
 * moment, which is what a process killed right there leaves on disk. Every copy must then open as
 * the old or the new version, keep its contra-chave, and have its temp files cleaned.
 *
 * Smoke: a fixed number of real SIGKILLs of a compiled child in an enable/disable loop, each on the
 * child's own `wrote k` line with a seeded random k (CRASH_SEED=<seed> repeats a run).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FILE_NAMES,
  SecretBox,
  StateStore,
  type FsOpName,
  type FsSeam,
  type PersistedState,
} from '../../../module/state/index.js';
import { counterOf, passwordFor, versionFor } from './helpers/versions.js';
import { HANG_MS } from '../../support/wait.js';
import { compiled, waitForLine } from '../../support/spawn.js';
import { deadPid, makeTempRoot } from './support.js';

const TEMP_FILE = /\.tmp$/;

interface Snapshot {
  /** The operation about to run when the copy was taken; 'end' once everything ran. */
  op: FsOpName | 'end';
  file: string;
  dir: string;
}

/** A seam that copies `dataDir` into `into/<n>` before each operation, while armed. */
function snapshotter(dataDir: string, into: string) {
  const snapshots: Snapshot[] = [];
  let armed = false;
  const take = (op: Snapshot['op'], file: string): void => {
    const dir = path.join(into, String(snapshots.length));
    fs.cpSync(dataDir, dir, { recursive: true });
    snapshots.push({ op, file: path.basename(file), dir });
  };
  const seam: FsSeam = {
    before(op, file) {
      if (armed) take(op, file);
    },
  };
  return {
    seam,
    snapshots,
    arm: () => void (armed = true),
    /** Disarms and takes the last copy, after every operation ran. */
    end(): Snapshot[] {
      armed = false;
      take('end', dataDir);
      return snapshots;
    },
  };
}

/** What the killed process leaves: its pid in the lock and in lock temp names now belongs to nobody. */
function asLeftByDeadProcess(dir: string, dead: number): void {
  const mine = String(process.pid);
  for (const name of fs.readdirSync(dir)) {
    const full = path.join(dir, name);
    if (name === FILE_NAMES.lock && fs.readFileSync(full, 'utf8').trim() === mine) fs.writeFileSync(full, `${dead}\n`);
    const temp = new RegExp(`^${FILE_NAMES.lock.replace('.', '\\.')}\\.${mine}\\.(.+)$`).exec(name);
    if (temp) {
      if (fs.readFileSync(full, 'utf8').trim() === mine) fs.writeFileSync(full, `${dead}\n`);
      fs.renameSync(full, path.join(dir, `${FILE_NAMES.lock}.${dead}.${temp[1]}`));
    }
  }
}

/** Opens a crash copy as the next start would; returns its state and what the folder holds after. */
async function restart(dir: string): Promise<{ state: PersistedState; leftover: string[]; afterClose: string[] }> {
  const store = await StateStore.open({ dataDir: dir });
  const state = store.get();
  const leftover = (await fsp.readdir(dir)).filter((name) => TEMP_FILE.test(name));
  await store.close();
  return { state, leftover, afterClose: (await fsp.readdir(dir)).sort() };
}

function withoutSecret(state: PersistedState): unknown {
  return { ...state, enabled: state.enabled ? { ...state.enabled, secret: null } : null };
}

describe('crash points, enumerated before every file operation', () => {
  let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
  let dead: number;
  let snapshotsChecked = 0;
  const started = performance.now();
  beforeAll(async () => {
    tmp = await makeTempRoot();
    dead = await deadPid();
  });
  afterAll(async () => {
    await tmp.cleanup();
    // A figure for the report, not an assertion on speed.
    console.log(`[crash] ${snapshotsChecked} crash points checked in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  });

  /** A data folder holding version `n` of the loop's states (sealed password when n is odd). */
  async function folderAt(name: string, n: number): Promise<{ dataDir: string; state: PersistedState }> {
    const dataDir = path.join(tmp.root, name);
    const store = await StateStore.open({ dataDir });
    const box = await SecretBox.open(dataDir);
    const state = await store.update((s) => versionFor(s, n, n % 2 === 1 ? box.seal(passwordFor(n)) : undefined));
    await store.close();
    return { dataDir, state };
  }

  it.each([
    { change: 'enabling', from: 2, to: 3 },
    { change: 'disabling', from: 3, to: 4 },
  ])(
    'when the process dies at any file operation of an update ($change), then the next start sees the old state up to the rename and the new one after it, with temp files cleaned and the password usable',
    async ({ change, from, to }) => {
      const { dataDir, state: old } = await folderAt(`update-${change}`, from);
      const shots = snapshotter(dataDir, path.join(tmp.root, `update-${change}-shots`));
      const store = await StateStore.open({ dataDir, fsSeam: shots.seam });
      const box = await SecretBox.open(dataDir);
      const secret = to % 2 === 1 ? box.seal(passwordFor(to)) : undefined;
      shots.arm();
      const next = await store.update((s) => versionFor(s, to, secret));
      const snapshots = shots.end();
      await store.close();

      expect(snapshots.map((s) => s.op)).toEqual(['open', 'write', 'fsync', 'rename', 'fsync', 'end']);
      const seen: string[] = [];
      for (const snapshot of snapshots) {
        asLeftByDeadProcess(snapshot.dir, dead);
        const { state, leftover, afterClose } = await restart(snapshot.dir);
        snapshotsChecked += 1;
        expect(leftover, `temp files after a crash before ${snapshot.op}`).toEqual([]);
        expect(afterClose).toEqual([FILE_NAMES.key, FILE_NAMES.state]);
        expect(state.contraChave).toBe(old.contraChave);
        const which = JSON.stringify(state) === JSON.stringify(old) ? 'old' : JSON.stringify(state) === JSON.stringify(next) ? 'new' : 'other';
        seen.push(which);
        if (state.enabled) {
          expect((await SecretBox.open(snapshot.dir)).unseal(state.enabled.secret)).toBe(passwordFor(counterOf(state)));
        }
      }
      // The rename is the one commit point.
      expect(seen).toEqual(['old', 'old', 'old', 'old', 'new', 'new']);
    },
  );

  it('when the process dies at any file operation of its first start, then the next start has either no state yet or the complete one with the same contra-chave', async () => {
    const dataDir = path.join(tmp.root, 'first-start');
    const contraChave = 'abcd-0123-4567-89ab-cdef-0123-4567-89ab';
    await fsp.mkdir(dataDir, { mode: 0o700 });
    const shots = snapshotter(dataDir, path.join(tmp.root, 'first-start-shots'));
    shots.arm();
    const store = await StateStore.open({ dataDir, contraChave, fsSeam: shots.seam, now: () => new Date(Date.UTC(2026, 0, 1)) });
    const created = store.get();
    const snapshots = shots.end();
    await store.close();

    // Lock: temp open/write/fsync, link, folder fsync, temp unlink; then the state's atomic write.
    expect(snapshots.map((s) => s.op)).toEqual([
      'open', 'write', 'fsync', 'link', 'fsync', 'unlink',
      'open', 'write', 'fsync', 'rename', 'fsync', 'end',
    ]);
    const seen: string[] = [];
    for (const snapshot of snapshots) {
      asLeftByDeadProcess(snapshot.dir, dead);
      const before = await StateStore.read(snapshot.dir);
      seen.push(before === null ? 'none' : JSON.stringify(before) === JSON.stringify(created) ? 'new' : 'other');
      const { state, leftover, afterClose } = await restart(snapshot.dir);
      snapshotsChecked += 1;
      expect(leftover).toEqual([]);
      expect(afterClose).toEqual([FILE_NAMES.state]);
      if (before) expect(state.contraChave).toBe(contraChave);
    }
    expect(seen).toEqual(['none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'new', 'new']);
  });

  it('when the process dies at any file operation while creating the secret key, then the next start has no key or the complete key that opens the sealed password, never a partial one', async () => {
    const { dataDir } = await folderAt('key', 2); // even: nothing sealed yet, so no key
    expect(fs.existsSync(path.join(dataDir, FILE_NAMES.key))).toBe(false);
    const shots = snapshotter(dataDir, path.join(tmp.root, 'key-shots'));
    const box = await SecretBox.open(dataDir, { fsSeam: shots.seam });
    shots.arm();
    const envelope = box.seal(passwordFor(5));
    const snapshots = shots.end();

    expect(snapshots.map((s) => s.op)).toEqual(['open', 'write', 'fsync', 'link', 'unlink', 'fsync', 'end']);
    const seen: string[] = [];
    for (const snapshot of snapshots) {
      asLeftByDeadProcess(snapshot.dir, dead);
      const { leftover, afterClose } = await restart(snapshot.dir);
      snapshotsChecked += 1;
      expect(leftover).toEqual([]);
      const reopened = await SecretBox.open(snapshot.dir);
      if (afterClose.includes(FILE_NAMES.key)) {
        expect(reopened.problem()).toBeNull();
        expect(reopened.unseal(envelope)).toBe(passwordFor(5));
        seen.push('key');
      } else {
        expect(reopened.problem()?.message).toMatch(/não existe.*reinforme a senha/s);
        seen.push('none');
      }
    }
    // The hard link is the one commit point.
    expect(seen).toEqual(['none', 'none', 'none', 'none', 'key', 'key', 'key']);
  });

  it('when the process dies at any file operation while taking over a stale lock, cleaning leftovers or releasing the lock, then the next start opens the same state and leaves nothing behind', async () => {
    const { dataDir, state: old } = await folderAt('lock', 7);
    // What an earlier SIGKILL left: its lock, its lock temp file and a state temp file.
    const other = await deadPid();
    await fsp.writeFile(path.join(dataDir, FILE_NAMES.lock), `${other}\n`, { mode: 0o600 });
    await fsp.writeFile(path.join(dataDir, `${FILE_NAMES.lock}.${other}.0123456789ab.tmp`), `${other}\n`, { mode: 0o600 });
    await fsp.writeFile(path.join(dataDir, `${FILE_NAMES.state}.0123456789ab.tmp`), '{"vers', { mode: 0o600 });
    const shots = snapshotter(dataDir, path.join(tmp.root, 'lock-shots'));
    shots.arm();
    const store = await StateStore.open({ dataDir, fsSeam: shots.seam });
    await store.close();
    const snapshots = shots.end();

    expect(snapshots.map((s) => s.op)).toEqual([
      'unlink', // the dead process's lock temp
      'open', 'write', 'fsync', 'link', // refused: the stale lock is there
      'rename', 'fsync', 'unlink', // take it over
      'unlink', // the state temp
      'unlink', // release
      'end',
    ]);
    for (const snapshot of snapshots) {
      asLeftByDeadProcess(snapshot.dir, dead);
      const { state, leftover, afterClose } = await restart(snapshot.dir);
      snapshotsChecked += 1;
      expect(leftover, `temp files after a crash before ${snapshot.op} ${snapshot.file}`).toEqual([]);
      expect(afterClose).toEqual([FILE_NAMES.key, FILE_NAMES.state]);
      expect(state).toEqual(old);
    }
  });
});

/** Deterministic PRNG (mulberry32) so a failing run can be repeated with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KILLS = 16;
const CHILD = 'test/unit/state/helpers/flip-loop.ts';
/** How long a child may print nothing before it is declared stuck (a hang, not a speed check). */
const WATCHDOG_MS = HANG_MS;

describe('SIGKILL smoke test', () => {
  const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 32);
  const next = random(seed);
  // Child i is killed on its k-th "wrote" line; one in eight is killed as soon as it says "start" (opening).
  const plan = Array.from({ length: KILLS }, (_, i) => (i % 8 === 0 ? 0 : 1 + Math.floor(next() * 24)));
  let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
  let contraChave: string;
  let previous = 0;
  beforeAll(async () => {
    console.log(`[crash] SIGKILL plan from seed ${seed} (CRASH_SEED=${seed} repeats it): ${plan.join(' ')}`);
    tmp = await makeTempRoot();
    const store = await StateStore.open({ dataDir: tmp.dataDir });
    contraChave = store.get().contraChave;
    await store.close();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it.each(plan.map((k, i) => ({ k, when: k === 0 ? `child ${i + 1} is SIGKILLed while opening` : `child ${i + 1} is SIGKILLed after its write ${k}` })))(
    'when $when, then the state loads, is the version it wrote or a later one, keeps its contra-chave and its password',
    async ({ k }) => {
      const child = spawn(process.execPath, [compiled(CHILD), tmp.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const line = await waitForLine(child, k === 0 ? /^start$/ : new RegExp(`^wrote ${k} (\\d+)$`), WATCHDOG_MS);
      child.kill('SIGKILL');
      await exited;
      expect(child.signalCode).toBe('SIGKILL');
      const durable = k === 0 ? previous : Number(/(\d+)$/.exec(line)![1]);

      const state = await StateStore.read(tmp.dataDir);
      expect(state).not.toBeNull();
      const n = counterOf(state!);
      expect(n).toBeGreaterThanOrEqual(durable);
      expect(state!.contraChave).toBe(contraChave);
      const expected = n === 0 ? { ...state!, enabled: null, connection: null } : versionFor(state!, n, undefined);
      expect(withoutSecret(state!)).toEqual(withoutSecret(expected));
      if (state!.enabled) expect((await SecretBox.open(tmp.dataDir)).unseal(state!.enabled.secret)).toBe(passwordFor(n));
      previous = n;

      const { leftover, afterClose } = await restart(tmp.dataDir);
      expect(leftover).toEqual([]);
      expect(afterClose.filter((name) => TEMP_FILE.test(name) || name === FILE_NAMES.lock)).toEqual([]);
    },
    0, // no time budget: the watchdog above catches a child that stops making progress
  );
});
