/** Simulated disk failures at each step of the atomic write (ENOSPC, EIO, EXDEV). */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const failure = vi.hoisted(() => ({ step: null as null | 'write' | 'sync' | 'rename', code: 'ENOSPC' }));

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const isStateTemp = (file: unknown) => typeof file === 'string' && /state\.json\.[0-9a-f]{12}\.tmp$/.test(file);
  const open: typeof actual.open = async (file, flags, mode) => {
    const handle = await actual.open(file, flags, mode);
    if (!isStateTemp(file) || (failure.step !== 'write' && failure.step !== 'sync')) return handle;
    const step = failure.step;
    return new Proxy(handle, {
      get(target, prop) {
        if (prop === 'writeFile' && step === 'write') {
          // Part of the bytes reach the temp file before the disk fills up, as in real life.
          return async (data: string) => {
            await target.write(data.slice(0, 20));
            throw errnoError(failure.code);
          };
        }
        if (prop === 'sync' && step === 'sync') return async () => Promise.reject(errnoError(failure.code));
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  const rename: typeof actual.rename = async (from, to) => {
    if (failure.step === 'rename' && isStateTemp(from)) throw errnoError(failure.code);
    return actual.rename(from, to);
  };
  return { ...actual, open, rename, default: { ...actual, open, rename } };
});

const { FILE_NAMES, StateStore } = await import('../../../module/state/index.js');
const { makeTempRoot } = await import('./support.js');

describe('a write that fails', () => {
  let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
  beforeEach(async () => {
    tmp = await makeTempRoot();
    failure.step = null;
  });
  afterEach(async () => {
    failure.step = null;
    await tmp.cleanup();
  });

  const cases = [
    ['write', 'ENOSPC', /disco está cheio/],
    ['sync', 'EIO', /entrada\/saída/],
    ['rename', 'EXDEV', /EXDEV/],
  ] as const;

  it.each(cases)('when %s fails with %s, then update throws WRITE_FAILED, memory and disk keep the old state and no temp file remains', async (step, code, reason) => {
    const store = await StateStore.open({ dataDir: tmp.dataDir });
    const stateFile = path.join(tmp.dataDir, FILE_NAMES.state);
    const before = await fsp.readFile(stateFile);
    const inMemory = store.get();

    failure.step = step;
    failure.code = code;
    const error = await store
      .update((s) => ({ ...s, connection: { status: 'ok', message: 'Conexão bem-sucedida', detail: 'novo', checkedAt: new Date().toISOString(), environment: 'producao' } }))
      .catch((e: unknown) => e as { code: string; message: string });
    failure.step = null;

    expect(error).toMatchObject({ code: 'WRITE_FAILED' });
    expect((error as { message: string }).message).toMatch(reason);
    expect((error as { message: string }).message).toContain(stateFile);
    expect(store.get()).toBe(inMemory);
    expect(await fsp.readFile(stateFile)).toEqual(before);
    expect((await fsp.readdir(tmp.dataDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // The queue is not stuck: the next update succeeds once the disk is fine.
    await store.update((s) => ({ ...s, connection: null }));
    await store.close();
  });
});
