import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RndsError } from '../../../module/errors.js';
import { FILE_NAMES, StateStore, type PersistedState } from '../../../module/state/index.js';
import { deadPid, makeTempRoot, modeOf, runToEnd, spawnHelper } from './support.js';

const posix = process.platform !== 'win32';
let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
let dataDir: string;
let stateFile: string;
const open: StateStore[] = [];

async function openStore(options: { contraChave?: string } = {}): Promise<StateStore> {
  const store = await StateStore.open({ dataDir, ...options });
  open.push(store);
  return store;
}

async function rejection(promise: Promise<unknown>): Promise<RndsError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RndsError);
  return error as RndsError;
}

const connection = (detail: string): NonNullable<PersistedState['connection']> => ({
  status: 'no-connection',
  message: 'Sem conexão',
  detail,
  checkedAt: '2026-03-01T10:00:00.000Z',
  environment: 'homologacao',
});

beforeEach(async () => {
  tmp = await makeTempRoot();
  dataDir = path.join(tmp.dataDir, 'nested');
  stateFile = path.join(dataDir, FILE_NAMES.state);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
  await tmp.cleanup();
});

describe('creating and reopening the state', () => {
  it('when the data folder does not exist, then it is created 0700 with a 0600 state file and a well-formed contra-chave', async () => {
    const store = await openStore();

    const state = store.get();
    expect(state.contraChave).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){7}$/);
    expect(state).toMatchObject({ version: 1, enabled: null, connection: null });
    expect(JSON.parse(await fsp.readFile(stateFile, 'utf8'))).toEqual(state);
    if (posix) {
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(stateFile)).toBe(0o600);
    }
  });

  it('when two installations are created, then they get different contra-chaves', async () => {
    const first = (await openStore()).get().contraChave;
    const other = await StateStore.open({ dataDir: path.join(tmp.root, 'other') });
    open.push(other);

    expect(other.get().contraChave).not.toBe(first);
  });

  it('when the store is closed and reopened after enables and disables, then the contra-chave is unchanged', async () => {
    const store = await openStore();
    const contraChave = store.get().contraChave;
    await store.update((s) => ({ ...s, connection: connection('um') }));
    await store.close();

    for (let i = 0; i < 3; i += 1) {
      const again = await StateStore.open({ dataDir });
      expect(again.get().contraChave).toBe(contraChave);
      expect(again.get().connection?.detail).toBe('um');
      await again.close();
    }
  });

  it('when the host supplies a contra-chave and no state exists, then it is stored as 8 groups of 4 with its letter case, from the installation', async () => {
    const store = await openStore({ contraChave: ' ABCD 0123 4567 89ab cdef 0000 1111 2222 ' });

    expect(store.get().contraChave).toBe('ABCD-0123-4567-89ab-cdef-0000-1111-2222');
    expect(store.get().contraChaveOrigin).toBe('instalacao');
  });

  it('when no contra-chave is supplied, then the generated test value is marked "gerada"', async () => {
    const store = await openStore();

    expect(store.get().contraChaveOrigin).toBe('gerada');
  });

  it('when the host supplies a contra-chave different from the stored one, then open keeps the stored one (the change is the Enablement\'s, audited)', async () => {
    const first = await openStore();
    const stored = first.get().contraChave;
    await first.close();

    const again = await openStore({ contraChave: 'abcd-0123-4567-89ab-cdef-0000-1111-2222' });

    expect(again.get().contraChave).toBe(stored);
  });

  it('when the host supplies the same contra-chave as the stored one, then open succeeds', async () => {
    const first = await openStore({ contraChave: 'abcd-0123-4567-89ab-cdef-0000-1111-2222' });
    await first.close();

    const again = await openStore({ contraChave: 'abcd-0123-4567-89ab-cdef-0000-1111-2222' });

    expect(again.get().contraChave).toBe('abcd-0123-4567-89ab-cdef-0000-1111-2222');
  });

  it('when the host supplies a malformed contra-chave, then open refuses without creating anything', async () => {
    const error = await rejection(StateStore.open({ dataDir, contraChave: 'abcd-0123' }));

    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx');
    expect(error.fields).toHaveProperty('contraChave');
    expect(fs.existsSync(stateFile)).toBe(false);
  });
});

describe('updating', () => {
  it('when many updates are started at once, then they run one at a time and none is lost', async () => {
    const store = await openStore();
    await store.update((s) => ({ ...s, connection: connection('') }));

    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.update(async (s) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return { ...s, connection: connection(`${s.connection!.detail}x`) };
        }),
      ),
    );

    expect(store.get().connection?.detail).toBe('x'.repeat(20));
    expect((await StateStore.read(dataDir))?.connection?.detail).toBe('x'.repeat(20));
  });

  it('when the mutator edits the draft in place, then the edit is saved', async () => {
    const store = await openStore();

    const next = await store.update((draft) => {
      draft.connection = connection('in place');
    });

    expect(next.connection?.detail).toBe('in place');
    expect((await StateStore.read(dataDir))?.connection?.detail).toBe('in place');
  });

  it('when a mutator throws, then the state is unchanged and later updates still work', async () => {
    const store = await openStore();
    const before = await fsp.readFile(stateFile);

    await expect(
      store.update(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await fsp.readFile(stateFile)).toEqual(before);
    await store.update((s) => ({ ...s, connection: connection('depois') }));

    expect(store.get().connection?.detail).toBe('depois');
  });

  it('when a mutator tries to change the contra-chave or produce an invalid state, then nothing is written', async () => {
    const store = await openStore();
    const before = await fsp.readFile(stateFile);

    const changed = await rejection(store.update((s) => ({ ...s, contraChave: 'abcd-0123-4567-89ab-cdef-0000-1111-2222' })));
    const invalid = await rejection(store.update((s) => ({ ...s, connection: { ...connection('x'), status: 'talvez' } }) as unknown as PersistedState));

    expect(changed.code).toBe('INTERNAL');
    expect(invalid.code).toBe('INTERNAL');
    expect(await fsp.readFile(stateFile)).toEqual(before);
  });

  it('when a caller tries to modify the object get() returned, then it cannot change the state behind the store', async () => {
    const store = await openStore();

    expect(() => {
      (store.get() as { enabled: unknown }).enabled = 'hack';
    }).toThrow(TypeError);
    expect(store.get().enabled).toBeNull();
  });
});

describe('corrupt or unreadable state file', () => {
  const cases: Array<[string, string]> = [
    ['garbage bytes', '\u0000\u0001não é json{{{'],
    ['valid JSON of the wrong shape', JSON.stringify({ version: 1, contraChave: 'x' })],
    ['an unknown field', JSON.stringify({ version: 1, contraChave: 'abcd-0123-4567-89ab-cdef-0000-1111-2222', createdAt: '2026-01-01T00:00:00.000Z', enabled: null, connection: null, extra: 1 })],
    ['an empty file', ''],
  ];

  it.each(cases)('when the state file holds %s, then open refuses with STATE_UNREADABLE naming the file and leaves it untouched', async (_label, content) => {
    await fsp.mkdir(dataDir, { recursive: true });
    await fsp.writeFile(stateFile, content);

    const error = await rejection(StateStore.open({ dataDir }));

    expect(error.code).toBe('STATE_UNREADABLE');
    expect(error.message).toContain(stateFile);
    expect(error.message).toMatch(/backup/);
    expect(error.message).toMatch(/nova contra-chave/);
    expect(await fsp.readFile(stateFile, 'utf8')).toBe(content);
    await expect(StateStore.read(dataDir)).rejects.toMatchObject({ code: 'STATE_UNREADABLE' });
  });

  it('when open refused a corrupt file and the admin moves it away, then the next open starts fresh', async () => {
    await fsp.mkdir(dataDir, { recursive: true });
    await fsp.writeFile(stateFile, 'lixo');
    await expect(StateStore.open({ dataDir })).rejects.toMatchObject({ code: 'STATE_UNREADABLE' });

    await fsp.rename(stateFile, `${stateFile}.corrompido`);
    const store = await openStore();

    expect(store.get().enabled).toBeNull();
    expect(await fsp.readFile(`${stateFile}.corrompido`, 'utf8')).toBe('lixo');
  });

  it('when the state file cannot be read as a file (a folder in its place), then open refuses with STATE_UNREADABLE', async () => {
    await fsp.mkdir(stateFile, { recursive: true });

    const error = await rejection(StateStore.open({ dataDir }));

    expect(error.code).toBe('STATE_UNREADABLE');
    expect(error.message).toContain(stateFile);
    expect(fs.statSync(stateFile).isDirectory()).toBe(true);
  });
});

describe('one process per data folder', () => {
  it('when the same folder is opened twice, then the second open fails with ALREADY_RUNNING and the first keeps working', async () => {
    const first = await openStore();

    const error = await rejection(StateStore.open({ dataDir }));

    expect(error.code).toBe('ALREADY_RUNNING');
    expect(error.message).toContain('já em execução');
    expect(error.message).toContain(String(process.pid));
    await first.update((s) => ({ ...s, connection: connection('ainda funciona') }));
    expect((await StateStore.read(dataDir))?.connection?.detail).toBe('ainda funciona');
  });

  it('when another live process holds the folder, then open fails with ALREADY_RUNNING until that process exits', async () => {
    await fsp.mkdir(dataDir, { recursive: true });
    const holder = spawnHelper('hold-open.ts', [dataDir]);
    const done = runToEnd(holder);
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      holder.once('exit', () => reject(new Error('holder exited early')));
    });

    const error = await rejection(StateStore.open({ dataDir }));
    holder.stdin!.end();
    const exit = await done;
    const store = await openStore();

    expect(error.code).toBe('ALREADY_RUNNING');
    expect(error.message).toContain('já em execução');
    expect(error.message).toContain(String(holder.pid));
    expect(exit.code).toBe(0);
    expect(store.get().contraChave).toMatch(/^[0-9a-f-]{39}$/);
  });

  it('when the lock was left by a process that no longer exists, then it is taken over', async () => {
    await fsp.mkdir(dataDir, { recursive: true });
    const lockFile = path.join(dataDir, FILE_NAMES.lock);
    await fsp.writeFile(lockFile, `${await deadPid()}\n`);

    await openStore();

    expect((await fsp.readFile(lockFile, 'utf8')).trim()).toBe(String(process.pid));
  });

  it('when the store is closed, then the lock is released and the folder can be opened again', async () => {
    const store = await StateStore.open({ dataDir });
    await store.close();

    expect(fs.existsSync(path.join(dataDir, FILE_NAMES.lock))).toBe(false);
    await expect(openStore()).resolves.toBeInstanceOf(StateStore);
  });
});

describe('crash leftovers and the read-only view', () => {
  it('when temp files from a crash are present, then open removes them and keeps everything else', async () => {
    const first = await StateStore.open({ dataDir });
    await first.close();
    const leftovers = ['state.json.0123456789ab.tmp', 'secret.key.abcdefabcdef.tmp', `state.lock.${await deadPid()}.0123456789ab.tmp`];
    for (const name of leftovers) await fsp.writeFile(path.join(dataDir, name), 'meio escrito');
    await fsp.writeFile(path.join(dataDir, 'anotacoes.txt'), 'do admin');

    await openStore();

    const names = await fsp.readdir(dataDir);
    for (const name of leftovers) expect(names).not.toContain(name);
    expect(names).toContain('anotacoes.txt');
  });

  it('when read() is used while the server holds the folder, then it returns the state without locking or cleaning', async () => {
    const store = await openStore();
    await store.update((s) => ({ ...s, connection: connection('visto pelo CLI') }));
    const leftover = path.join(dataDir, 'state.json.0123456789ab.tmp');
    await fsp.writeFile(leftover, 'x');

    const seen = await StateStore.read(dataDir);

    expect(seen).toEqual(store.get());
    expect(fs.existsSync(leftover)).toBe(true);
  });

  it('when read() is used on a folder without a state file, then it returns null and creates nothing', async () => {
    await expect(StateStore.read(dataDir)).resolves.toBeNull();
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});

describe('an unusable data folder', () => {
  it('when the data folder path is taken by a regular file, then open fails with a pt-BR message naming the folder', async () => {
    await fsp.mkdir(path.dirname(dataDir), { recursive: true });
    await fsp.writeFile(dataDir, 'não é uma pasta');

    const error = await rejection(StateStore.open({ dataDir }));

    expect(error.code).toBe('WRITE_FAILED');
    expect(error.message).toContain(dataDir);
    expect(await fsp.readFile(dataDir, 'utf8')).toBe('não é uma pasta');
  });
});
