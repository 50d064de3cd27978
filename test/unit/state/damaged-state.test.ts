/**
 * A damaged sealed password costs the password, never the start (SECRET_UNREADABLE); a damaged state file stops the
 * start, but its message never costs the contra-chave.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RndsError } from '../../../module/errors.js';
import { FILE_NAMES, SecretBox, StateStore, type PersistedState } from '../../../module/state/index.js';
import { makeTempRoot } from './support.js';
import { versionFor } from './helpers/versions.js';

const PASSWORD = 'Senha@çã1';
let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
let stateFile: string;

beforeEach(async () => {
  tmp = await makeTempRoot();
  stateFile = path.join(tmp.dataDir, FILE_NAMES.state);
});
afterEach(async () => {
  await tmp.cleanup();
});

/** A state file with a certificate enabled and its password sealed, as the module writes it; returns its bytes. */
async function writeEnabledState(): Promise<{ bytes: Buffer; state: PersistedState }> {
  const box = await SecretBox.open(tmp.dataDir);
  const store = await StateStore.open({ dataDir: tmp.dataDir });
  const state = await store.update((current) => versionFor(current, 1, box.seal(PASSWORD)));
  await store.close();
  return { bytes: await fsp.readFile(stateFile), state };
}

/** Byte offsets of the three base64 values of `enabled.secret` in the file. */
function sealedValueOffsets(bytes: Buffer): number[] {
  const text = bytes.toString('latin1');
  const offsets: number[] = [];
  for (const field of ['iv', 'tag', 'data']) {
    const match = new RegExp(`"${field}": "([A-Za-z0-9+/=]+)"`).exec(text);
    if (!match) throw new Error(`no ${field} in the state file`);
    const start = match.index + match[0].indexOf('"', field.length + 3) + 1;
    for (let i = 0; i < match[1]!.length; i++) offsets.push(start + i);
  }
  return offsets;
}

async function rejection(promise: Promise<unknown>): Promise<RndsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RndsError);
    return error as RndsError;
  }
  throw new Error('expected a rejection');
}

describe('a damaged sealed password', () => {
  it('when any single bit of the sealed password is flipped in state.json, then the state still loads, keeps everything else and reports SECRET_UNREADABLE', async () => {
    const { bytes, state } = await writeEnabledState();
    const offsets = sealedValueOffsets(bytes);
    const { secret: _secret, ...enabledWithoutSecret } = state.enabled!;
    let unreadable = 0;
    let sameSecret = 0;
    const failures: string[] = [];

    const box = await SecretBox.open(tmp.dataDir);
    let n = 0;
    for (const offset of offsets) {
      for (let bit = 0; bit < 8; bit++, n++) {
        const flipped = Buffer.from(bytes);
        flipped[offset] = flipped[offset]! ^ (1 << bit);
        await fsp.writeFile(stateFile, flipped);
        // Every flip goes through the loading that `open` does; one in 16 also through open, a write and a reload.
        const full = n % 16 === 0;
        let loaded: PersistedState;
        let store: StateStore | undefined;
        try {
          store = full ? await StateStore.open({ dataDir: tmp.dataDir }) : undefined;
          loaded = store ? store.get() : (await StateStore.read(tmp.dataDir))!;
        } catch (error) {
          failures.push(`byte ${offset} bit ${bit}: ${(error as Error).message.slice(0, 120)}`);
          continue;
        }
        expect(loaded.contraChave).toBe(state.contraChave);
        expect(loaded.connection).toEqual(state.connection);
        const { secret, ...enabled } = loaded.enabled!;
        expect(enabled).toEqual(enabledWithoutSecret);
        const problem = box.check(secret);
        if (problem) {
          expect(problem.code).toBe('SECRET_UNREADABLE');
          expect(problem.message).toMatch(/reinforme a senha/);
          unreadable++;
        } else {
          // Base64 ignores the unused low bits of its last character: those flips leave the same ciphertext.
          expect(box.unseal(secret)).toBe(PASSWORD);
          sameSecret++;
        }
        if (store) {
          // The next write (a connection test) keeps the damaged value as it is, and the file loads again.
          await store.update((draft) => ({ ...draft, connection: { ...draft.connection!, detail: 'depois do dano' } }));
          await store.close();
          const again = await StateStore.read(tmp.dataDir);
          expect(again?.contraChave).toBe(state.contraChave);
          expect(again?.enabled?.secret).toEqual(secret);
        }
      }
    }

    expect(failures).toEqual([]);
    expect(unreadable + sameSecret).toBe(offsets.length * 8);
    expect(unreadable).toBeGreaterThan(offsets.length * 8 * 0.9);
  });

  it('when the secret field is gone or of another shape, then the state loads and the secret is reported unreadable', async () => {
    const { bytes } = await writeEnabledState();
    const json = JSON.parse(bytes.toString('utf8')) as { enabled: Record<string, unknown> };
    for (const secret of [undefined, 'texto', 42, { v: 2, alg: 'A256GCM', iv: 'x', tag: 'y', data: 'z' }]) {
      await fsp.writeFile(stateFile, JSON.stringify({ ...json, enabled: { ...json.enabled, secret } }));

      const store = await StateStore.open({ dataDir: tmp.dataDir });

      expect((await SecretBox.open(tmp.dataDir)).check(store.get().enabled!.secret)?.code).toBe('SECRET_UNREADABLE');
      await store.close();
    }
  });
});

describe('a damaged state file', () => {
  it('when the file is damaged outside the secret but the contra-chave can be read, then the message names it and how to keep it', async () => {
    const { bytes, state } = await writeEnabledState();
    const damaged = bytes.toString('utf8').replace('"version": 1', '"version": 1,,');
    await fsp.writeFile(stateFile, damaged);

    const error = await rejection(StateStore.open({ dataDir: tmp.dataDir }));

    expect(error.code).toBe('STATE_UNREADABLE');
    expect(error.message).toContain(stateFile);
    expect(error.message).toContain(`A contra-chave desta instalação, lida do arquivo danificado, é ${state.contraChave}`);
    // The file to recreate holds that contra-chave and loads as a valid state.
    const recreate = /exatamente este conteúdo: (\{.*?\}) — /.exec(error.message)?.[1];
    expect(recreate).toBeDefined();
    await fsp.rename(stateFile, `${stateFile}.danificado`);
    await fsp.writeFile(stateFile, recreate!);
    const store = await StateStore.open({ dataDir: tmp.dataDir });
    expect(store.get()).toMatchObject({ contraChave: state.contraChave, createdAt: state.createdAt, enabled: null });
    await store.close();
  });

  it('when the contra-chave itself cannot be read, then the message says to find it before moving the file, never just to move it', async () => {
    await writeEnabledState();
    const text = await fsp.readFile(stateFile, 'utf8');
    await fsp.writeFile(stateFile, text.replace(/"contraChave": "[^"]*"/, '"contraChave": "xx'));

    const error = await rejection(StateStore.open({ dataDir: tmp.dataDir }));

    expect(error.code).toBe('STATE_UNREADABLE');
    expect(error.message).toMatch(/A contra-chave desta instalação não pôde ser lida dele: procure-a/);
    expect(error.message).toMatch(/Não apague nem mova o arquivo sem fazer isso/);
    expect(await fsp.readFile(stateFile, 'utf8')).toBe(text.replace(/"contraChave": "[^"]*"/, '"contraChave": "xx'));
  });
});
