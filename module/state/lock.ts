/**
 * One process per data folder: `<dataDir>/state.lock` holds the owner's pid. It is created with a
 * hard link from a complete temp file, so a lock never exists half-written; a lock whose pid is no
 * longer alive (a crash, a SIGKILL) is taken over.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { RndsError } from '../errors.js';
import { FILE_MODE, FILE_NAMES, errnoCode, fsyncDir } from './files.js';
import { REAL_FS, type FsSeam } from './fs-seam.js';

const LOCK_TEMP_PATTERN = /^state\.lock\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}

function parsePid(text: string): number | null {
  const match = /^\s*(\d{1,10})\s*$/.exec(text);
  return match ? Number(match[1]) : null;
}

async function readLockPid(lockPath: string): Promise<number | null | 'missing'> {
  try {
    return parsePid(await fsp.readFile(lockPath, 'utf8'));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'missing';
    throw error;
  }
}

function alreadyRunning(dataDir: string, lockPath: string, pid: number): RndsError {
  return new RndsError(
    'ALREADY_RUNNING',
    `Há outro pec-rnds já em execução (processo ${pid}) usando a pasta de dados ${dataDir}. ` +
      `Encerre-o antes de iniciar este, ou configure outra pasta de dados. Se nenhum pec-rnds estiver ` +
      `rodando, apague o arquivo ${lockPath} e inicie de novo.`,
  );
}

/**
 * The pid of the live process that holds the data folder (a running pec-rnds), or null when none does (no lock, or a
 * stale one). For readers that take no lock (`npm run status`); a lock that cannot be read throws.
 */
export async function lockOwner(dataDir: string): Promise<number | null> {
  const owner = await readLockPid(path.join(dataDir, FILE_NAMES.lock));
  return typeof owner === 'number' && isProcessAlive(owner) ? owner : null;
}

/** A held lock; `release()` removes it if it is still ours. */
export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Takes the data folder's lock or throws ALREADY_RUNNING. The folder must exist. */
export async function acquireLock(dataDir: string, seam: FsSeam = REAL_FS): Promise<DataDirLock> {
  const lockPath = path.join(dataDir, FILE_NAMES.lock);
  const temp = path.join(dataDir, `${FILE_NAMES.lock}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await removeDeadLockTemps(dataDir, seam);
  seam.before('open', temp);
  const handle = await fsp.open(temp, 'wx', FILE_MODE);
  try {
    seam.before('write', temp);
    await handle.writeFile(`${process.pid}\n`);
    seam.before('fsync', temp);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // A few rounds at most: each round links, refuses, or takes over one stale lock.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        seam.before('link', temp);
        await fsp.link(temp, lockPath);
        await fsyncDir(dataDir, seam).catch(() => undefined);
        return makeLock(lockPath, seam);
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
      }
      const owner = await readLockPid(lockPath);
      if (owner === 'missing') continue;
      if (owner !== null && isProcessAlive(owner)) throw alreadyRunning(dataDir, lockPath, owner);
      // Stale (dead pid, or content we never write): replace it only if it is still the same
      // stale lock, then check that the lock we see is ours — narrows the race between two
      // processes taking over the same stale lock at once.
      const again = await readLockPid(lockPath);
      if (again !== owner) continue;
      seam.before('rename', temp);
      await fsp.rename(temp, lockPath);
      await fsyncDir(dataDir, seam).catch(() => undefined);
      const now = await readLockPid(lockPath);
      if (now === process.pid) return makeLock(lockPath, seam);
      if (typeof now === 'number' && isProcessAlive(now)) throw alreadyRunning(dataDir, lockPath, now);
      // Another starter replaced the lock after us and is gone already: give up with a clear message
      // rather than loop (our temp file was consumed by the rename).
      break;
    }
    throw new RndsError(
      'ALREADY_RUNNING',
      `Não foi possível obter o arquivo de trava ${lockPath}: outro pec-rnds parece estar iniciando agora ` +
        `com a mesma pasta de dados (${dataDir}). Verifique se já há um em execução e tente de novo.`,
    );
  } finally {
    seam.before('unlink', temp);
    await fsp.rm(temp, { force: true }).catch(() => undefined);
  }
}

function makeLock(lockPath: string, seam: FsSeam): DataDirLock {
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      // Never remove a lock another process took over (e.g. after ours was deleted by hand).
      if ((await readLockPid(lockPath).catch(() => null)) === process.pid) {
        seam.before('unlink', lockPath);
        await fsp.rm(lockPath, { force: true });
      }
    },
  };
}

async function removeDeadLockTemps(dataDir: string, seam: FsSeam): Promise<void> {
  for (const name of await fsp.readdir(dataDir)) {
    const match = LOCK_TEMP_PATTERN.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !isProcessAlive(pid)) {
      seam.before('unlink', path.join(dataDir, name));
      await fsp.rm(path.join(dataDir, name), { force: true }).catch(() => undefined);
    }
  }
}
