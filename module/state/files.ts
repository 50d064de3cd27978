/**
 * The file primitives the state folder relies on: atomic replace, create-once, folder fsync and
 * temp-file hygiene. Every file here is created 0600 inside a 0700 folder.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { RndsError } from '../errors.js';
import { REAL_FS, type FsSeam } from './fs-seam.js';

export const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** The names of the files in the data folder. */
export const FILE_NAMES = {
  state: 'state.json',
  lock: 'state.lock',
  key: 'secret.key',
  audit: 'audit.jsonl',
  accessToken: 'access-token',
  sessionKey: 'session.key',
  sessionsRevoked: 'sessions-revoked.json',
} as const;

// `<target>.<12 hex>.tmp`: recognisable at start-up, never mistaken for a real file.
const TEMP_PATTERN = /^(state\.json|secret\.key|access-token|session\.key|sessions-revoked\.json)\.[0-9a-f]{12}\.tmp$/;

function tempPathFor(target: string): string {
  return `${target}.${randomBytes(6).toString('hex')}.tmp`;
}

export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** Creates the data folder (0700) if missing. An existing folder keeps its mode. */
export async function ensureDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
}

// Windows cannot open a folder for fsync, and some file systems refuse it; the rename is already
// done by then, so durability of the folder entry is best-effort there.
const UNSUPPORTED_DIR_SYNC = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF']);

/** fsync a folder so a rename or link inside it survives a power cut. */
export async function fsyncDir(dir: string, seam: FsSeam = REAL_FS): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    seam.before('fsync', dir);
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!UNSUPPORTED_DIR_SYNC.has(errnoCode(error) ?? '')) throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function fsyncDirSync(dir: string, seam: FsSeam = REAL_FS): void {
  let fd: number | undefined;
  try {
    seam.before('fsync', dir);
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (error) {
    if (!UNSUPPORTED_DIR_SYNC.has(errnoCode(error) ?? '')) throw error;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

async function writeTemp(temp: string, data: string | Uint8Array, seam: FsSeam): Promise<void> {
  seam.before('open', temp);
  await writeSyncClose(await fsp.open(temp, 'wx', FILE_MODE), temp, data, seam);
}

/** Writes, fsyncs and closes an opened file (closed even when a step fails): the data is on disk when it resolves. */
async function writeSyncClose(handle: fsp.FileHandle, name: string, data: string | Uint8Array, seam: FsSeam): Promise<void> {
  try {
    seam.before('write', name);
    await handle.writeFile(data);
    seam.before('fsync', name);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function writeTempSync(temp: string, data: string | Uint8Array, seam: FsSeam): void {
  seam.before('open', temp);
  const fd = fs.openSync(temp, 'wx', FILE_MODE);
  try {
    seam.before('write', temp);
    fs.writeFileSync(fd, data);
    seam.before('fsync', temp);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `target` so that a reader (or a crash) sees either the old bytes or the new ones:
 * temp file in the same folder (exclusive, 0600) → write → fsync → rename → fsync the folder.
 * On failure the temp file is removed, `target` is untouched and the original error is thrown.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, seam: FsSeam = REAL_FS): Promise<void> {
  const temp = tempPathFor(target);
  try {
    await writeTemp(temp, data, seam);
    seam.before('rename', temp);
    await fsp.rename(temp, target);
  } catch (error) {
    await removeQuietly(temp, seam);
    throw error;
  }
  // After the rename the new file is the state; a failing folder fsync must not be reported as
  // "old state kept", so it is only attempted.
  await fsyncDir(path.dirname(target), seam).catch(() => undefined);
}

/**
 * Creates `target` with `data` only if it does not exist yet, and never with partial content: the
 * bytes go to a temp file first and are hard-linked into place (link fails if the name exists).
 * Returns false when `target` already existed (its content is left alone).
 */
async function createFileOnce(target: string, data: string | Uint8Array, seam: FsSeam = REAL_FS): Promise<boolean> {
  const temp = tempPathFor(target);
  try {
    await writeTemp(temp, data, seam);
    try {
      seam.before('link', temp);
      await fsp.link(temp, target);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      if (!LINK_UNSUPPORTED.has(errnoCode(error) ?? '')) throw error;
      // No hard links on this file system: an exclusive create is the next best thing.
      seam.before('open', target);
      const handle = await fsp.open(target, 'wx', FILE_MODE).catch((openError: unknown) => {
        if (errnoCode(openError) === 'EEXIST') return null;
        throw openError;
      });
      if (!handle) return false;
      await writeSyncClose(handle, target, data, seam);
    }
  } finally {
    await removeQuietly(temp, seam);
  }
  await fsyncDir(path.dirname(target), seam).catch(() => undefined);
  return true;
}

/** Removes a temp file if it exists; a failure here must not hide the error being reported. */
async function removeQuietly(file: string, seam: FsSeam): Promise<void> {
  seam.before('unlink', file);
  await fsp.rm(file, { force: true }).catch(() => undefined);
}

const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP', 'EXDEV']);

/** Synchronous `createFileOnce`, for the secret key (sealing is synchronous). */
export function createFileOnceSync(target: string, data: string | Uint8Array, seam: FsSeam = REAL_FS): boolean {
  const temp = tempPathFor(target);
  try {
    writeTempSync(temp, data, seam);
    try {
      seam.before('link', temp);
      fs.linkSync(temp, target);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      if (!LINK_UNSUPPORTED.has(errnoCode(error) ?? '')) throw error;
      let fd: number;
      try {
        seam.before('open', target);
        fd = fs.openSync(target, 'wx', FILE_MODE);
      } catch (openError) {
        if (errnoCode(openError) === 'EEXIST') return false;
        throw openError;
      }
      try {
        seam.before('write', target);
        fs.writeFileSync(fd, data);
        seam.before('fsync', target);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
  } finally {
    seam.before('unlink', temp);
    fs.rmSync(temp, { force: true });
  }
  try {
    fsyncDirSync(path.dirname(target), seam);
  } catch {
    // best-effort, as in writeFileAtomic
  }
  return true;
}

/** Removes temp files a crash left behind. Returns the names removed. */
export async function removeLeftoverTempFiles(dir: string, seam: FsSeam = REAL_FS): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fsp.readdir(dir)) {
    if (!TEMP_PATTERN.test(name)) continue;
    seam.before('unlink', path.join(dir, name));
    await fsp.rm(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** True when group or others may read or write the file (POSIX only). */
export function isLooserThanOwnerOnly(mode: number): boolean {
  return process.platform !== 'win32' && (mode & 0o077) !== 0;
}

/**
 * A one-line secret file of the data folder (the access token, the session key): created once with `create()`
 * (0600, never half-written), then read, trimmed and checked against `pattern`; a copy others can read is tightened,
 * not replaced (replacing it would silently break what depends on it). `describe` words the refusals.
 */
export async function loadOrCreateSecretLine(
  file: string,
  create: () => string,
  pattern: RegExp,
  describe: { unreadable: (code: string) => string; invalid: string },
): Promise<string> {
  await ensureDir(path.dirname(file));
  await createFileOnce(file, `${create()}\n`);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    throw new RndsError('STATE_UNREADABLE', describe.unreadable(errnoCode(error) ?? 'erro desconhecido'), { cause: error });
  }
  const line = text.trim();
  if (!pattern.test(line)) throw new RndsError('STATE_UNREADABLE', describe.invalid);
  const stat = await fsp.stat(file);
  if (isLooserThanOwnerOnly(stat.mode)) await fsp.chmod(file, FILE_MODE);
  return line;
}
