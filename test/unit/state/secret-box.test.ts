import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RndsError } from '../../../module/errors.js';
import { FILE_NAMES, SecretBox, type SecretEnvelope } from '../../../module/state/index.js';
import { makeTempRoot, modeOf } from './support.js';

const posix = process.platform !== 'win32';
const PASSWORD = 'Senha@çã1';
let tmp: Awaited<ReturnType<typeof makeTempRoot>>;
let keyFile: string;

function unsealError(box: SecretBox, envelope: SecretEnvelope): RndsError {
  try {
    box.unseal(envelope);
  } catch (error) {
    expect(error).toBeInstanceOf(RndsError);
    return error as RndsError;
  }
  throw new Error('expected unseal to fail');
}

function flipFirstByte(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] = bytes[0]! ^ 0x01;
  return bytes.toString('base64');
}

beforeEach(async () => {
  tmp = await makeTempRoot();
  keyFile = path.join(tmp.dataDir, FILE_NAMES.key);
});
afterEach(async () => {
  await tmp.cleanup();
});

describe('sealing and unsealing', () => {
  it('when a password is sealed and the box is reopened, then unseal returns the same password', async () => {
    const envelope = (await SecretBox.open(tmp.dataDir)).seal(PASSWORD);

    const again = await SecretBox.open(tmp.dataDir);

    expect(again.unseal(envelope)).toBe(PASSWORD);
    expect(envelope).toMatchObject({ v: 1, alg: 'A256GCM' });
    expect(Buffer.from(envelope.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(envelope.tag, 'base64')).toHaveLength(16);
  });

  it('when the same password is sealed twice, then the IVs and ciphertexts differ', async () => {
    const box = await SecretBox.open(tmp.dataDir);

    const first = box.seal(PASSWORD);
    const second = box.seal(PASSWORD);

    expect(second.iv).not.toBe(first.iv);
    expect(second.data).not.toBe(first.data);
    expect(box.unseal(second)).toBe(PASSWORD);
  });

  it('when the box is opened with nothing sealed yet, then no key file is created until the first seal, and it is then 0600', async () => {
    const box = await SecretBox.open(tmp.dataDir);
    expect(fs.existsSync(keyFile)).toBe(false);

    box.seal(PASSWORD);

    expect(fs.statSync(keyFile).size).toBe(32);
    if (posix) expect(modeOf(keyFile)).toBe(0o600);
  });
});

describe('when the password cannot be recovered', () => {
  it('when the key file is missing, then unseal throws SECRET_UNREADABLE asking to retype the password, and no new key appears', async () => {
    const envelope = (await SecretBox.open(tmp.dataDir)).seal(PASSWORD);
    await fsp.rm(keyFile);

    const box = await SecretBox.open(tmp.dataDir);
    const error = unsealError(box, envelope);

    expect(error.code).toBe('SECRET_UNREADABLE');
    expect(error.message).toMatch(/reinforme a senha/);
    expect(error.message).not.toContain(PASSWORD);
    expect(box.problem()?.code).toBe('SECRET_UNREADABLE');
    expect(fs.existsSync(keyFile)).toBe(false);
  });

  it.skipIf(!posix)('when the key file is readable by others (0644), then unseal and seal refuse it and the key is left as it was', async () => {
    const envelope = (await SecretBox.open(tmp.dataDir)).seal(PASSWORD);
    await fsp.chmod(keyFile, 0o644);
    const keyBefore = await fsp.readFile(keyFile);

    const box = await SecretBox.open(tmp.dataDir);
    const error = unsealError(box, envelope);

    expect(error.code).toBe('SECRET_UNREADABLE');
    expect(error.message).toContain(keyFile);
    expect(error.message).toContain('chmod 600');
    // Enabling cannot fix this by itself: a 4xx with the key's own message, not a 500.
    expect(() => box.seal(PASSWORD)).toThrow(expect.objectContaining({ code: 'SECRET_KEY_UNUSABLE', httpStatus: 409, message: error.message }));
    expect(await fsp.readFile(keyFile)).toEqual(keyBefore);
  });

  it.skipIf(!posix)('when the admin fixes the key file mode back to 0600, then the password opens again', async () => {
    const envelope = (await SecretBox.open(tmp.dataDir)).seal(PASSWORD);
    await fsp.chmod(keyFile, 0o640);
    expect(unsealError(await SecretBox.open(tmp.dataDir), envelope).code).toBe('SECRET_UNREADABLE');

    await fsp.chmod(keyFile, 0o600);

    expect((await SecretBox.open(tmp.dataDir)).unseal(envelope)).toBe(PASSWORD);
  });

  it.each(['data', 'tag', 'iv'] as const)('when the envelope %s was tampered with, then unseal throws SECRET_UNREADABLE', async (field) => {
    const box = await SecretBox.open(tmp.dataDir);
    const envelope = box.seal(PASSWORD);

    const error = unsealError(box, { ...envelope, [field]: flipFirstByte(envelope[field]) });

    expect(error.code).toBe('SECRET_UNREADABLE');
    expect(error.message).toMatch(/reinforme a senha/);
  });

  it('when the envelope was sealed with another installation key, then unseal throws SECRET_UNREADABLE', async () => {
    const foreign = (await SecretBox.open(path.join(tmp.root, 'outra'))).seal(PASSWORD);

    const box = await SecretBox.open(tmp.dataDir);
    box.seal('qualquer');

    expect(unsealError(box, foreign).code).toBe('SECRET_UNREADABLE');
  });

  it('when the envelope is malformed (wrong version, short IV), then unseal throws SECRET_UNREADABLE', async () => {
    const box = await SecretBox.open(tmp.dataDir);
    const envelope = box.seal(PASSWORD);

    expect(unsealError(box, { ...envelope, v: 2 } as unknown as SecretEnvelope).code).toBe('SECRET_UNREADABLE');
    expect(unsealError(box, { ...envelope, iv: Buffer.alloc(8).toString('base64') }).code).toBe('SECRET_UNREADABLE');
  });

  it('when the key file has the wrong size, then unseal throws SECRET_UNREADABLE and seal does not overwrite it', async () => {
    const envelope = (await SecretBox.open(tmp.dataDir)).seal(PASSWORD);
    await fsp.writeFile(keyFile, Buffer.alloc(16, 7), { mode: 0o600 });

    const box = await SecretBox.open(tmp.dataDir);

    expect(unsealError(box, envelope).code).toBe('SECRET_UNREADABLE');
    expect(() => box.seal(PASSWORD)).toThrow(expect.objectContaining({ code: 'SECRET_KEY_UNUSABLE' }));
    expect(await fsp.readFile(keyFile)).toEqual(Buffer.alloc(16, 7));
  });
});

describe('the key file changes while the box is open', () => {
  it('when the key file is deleted after the box read it, then the next seal creates a new key, and a box opened later unseals it', async () => {
    const box = await SecretBox.open(tmp.dataDir);
    const before = box.seal(PASSWORD);
    await fsp.rm(keyFile);

    expect(box.problem()?.code).toBe('SECRET_UNREADABLE');
    expect(box.check(before)?.message).toMatch(/não existe/);
    const after = box.seal(PASSWORD);

    expect(fs.statSync(keyFile).size).toBe(32);
    if (posix) expect(modeOf(keyFile)).toBe(0o600);
    // What a restart sees: a fresh box reads the key from disk, not from the old process's memory.
    expect((await SecretBox.open(tmp.dataDir)).unseal(after)).toBe(PASSWORD);
    expect(box.unseal(after)).toBe(PASSWORD);
  });

  it('when the key file is replaced by another valid key, then seal uses the one on disk', async () => {
    const box = await SecretBox.open(tmp.dataDir);
    box.seal(PASSWORD);
    await fsp.rm(keyFile);
    const other = await SecretBox.open(path.join(tmp.root, 'outra'));
    other.seal('x');
    await fsp.copyFile(path.join(tmp.root, 'outra', FILE_NAMES.key), keyFile);

    const envelope = box.seal(PASSWORD);

    expect(other.unseal(envelope)).toBe(PASSWORD);
  });

  it.skipIf(!posix)('when a refused key (0644) is fixed to 0600 while the box is open, then the same box uses it again without a restart', async () => {
    const box = await SecretBox.open(tmp.dataDir);
    const envelope = box.seal(PASSWORD);
    await fsp.chmod(keyFile, 0o644);
    expect(box.check(envelope)?.message).toContain(`chmod 600 ${keyFile}`);
    expect(() => box.seal(PASSWORD)).toThrow(expect.objectContaining({ code: 'SECRET_KEY_UNUSABLE' }));

    await fsp.chmod(keyFile, 0o600);

    expect(box.check(envelope)).toBeNull();
    expect(box.unseal(box.seal(PASSWORD))).toBe(PASSWORD);
  });
});
