/**
 * Opening a file from the chaves folder without trusting it: lstat first, never follow a symlink, never block
 * on a FIFO or device, regular files with a single name only (no hard links), size checked before reading, and a
 * bounded read.
 */
import { createHash } from 'node:crypto';
import { close, constants, fstat, lstat, open, read, type Stats } from 'node:fs';
import { promisify } from 'node:util';

/** Certificates are a few KiB; 64 KiB leaves room for long chains. */
export const DEFAULT_MAX_FILE_SIZE = 64 * 1024;

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer and pin a libuv thread forever.
// O_NOFOLLOW: a symlink swapped in after lstat fails with ELOOP instead of being followed. Both are 0 on Windows.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export type SafeReadResult =
  | { kind: 'file'; bytes: Buffer; stats: Stats }
  | { kind: 'missing' }
  | { kind: 'not-a-file'; stats?: Stats }
  | { kind: 'too-large'; stats: Stats }
  | { kind: 'unreadable'; stats?: Stats };

/**
 * The callback API, promisified: fs/promises wraps every descriptor in a FileHandle, which costs twice the CPU here —
 * with thousands of files copied at once, the main share of listing them (README, "Lean").
 */
const openFd = promisify(open);
const fstatFd = promisify(fstat);
const readFd = promisify(read);
const closeFd = promisify(close);

/** lstat through the callback API (see above). */
export const lstatOf: (path: string) => Promise<Stats> = promisify(lstat);

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/**
 * Reads `path` if, and only if, it is a regular file of at most `maxFileSize` bytes. `lstats`, when given, is the
 * caller's fresh lstat of the same path (saves a syscall).
 */
export async function readFileSafely(path: string, maxFileSize: number, lstats?: Stats): Promise<SafeReadResult> {
  let linkStats = lstats;
  if (!linkStats) {
    try {
      linkStats = await lstatOf(path);
    } catch (error) {
      return errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR' ? { kind: 'missing' } : { kind: 'unreadable' };
    }
  }
  if (!linkStats.isFile() || linkStats.nlink > 1) return { kind: 'not-a-file', stats: linkStats };
  if (linkStats.size > maxFileSize) return { kind: 'too-large', stats: linkStats };

  let fd: number;
  try {
    fd = await openFd(path, OPEN_FLAGS);
  } catch (error) {
    switch (errorCode(error)) {
      case 'ENOENT':
      case 'ENOTDIR':
        return { kind: 'missing' };
      case 'ELOOP': // swapped for a symlink after lstat
      case 'EMLINK': // FreeBSD's ELOOP for O_NOFOLLOW
      case 'ENXIO': // socket or device without a driver
      case 'ENODEV':
      case 'EISDIR':
        return { kind: 'not-a-file' };
      default:
        return { kind: 'unreadable', stats: linkStats };
    }
  }
  try {
    // The descriptor, not the name, is what gets read: check what it really is.
    const stats = await fstatFd(fd);
    // A hard link is the same file under two names: the other one may be anywhere on the disk (even the module's own
    // secret.key), so a file with more than one name is never read as a certificate.
    if (!stats.isFile() || stats.nlink > 1) return { kind: 'not-a-file', stats };
    if (stats.size > maxFileSize) return { kind: 'too-large', stats };
    const limit = maxFileSize + 1; // one byte more than allowed tells "grew past the cap" from "exactly the cap"
    let buffer = Buffer.allocUnsafe(Math.min(limit, stats.size + 1));
    let total = 0;
    for (;;) {
      const wanted = buffer.length - total;
      const { bytesRead } = await readFd(fd, buffer, total, wanted, total);
      total += bytesRead;
      // A regular file reads short only at its end: no second call just to see the end.
      if (bytesRead < wanted) break;
      if (buffer.length >= limit) break;
      const bigger = Buffer.allocUnsafe(Math.min(limit, buffer.length * 2));
      buffer.copy(bigger, 0, 0, total);
      buffer = bigger;
    }
    if (total > maxFileSize) return { kind: 'too-large', stats };
    return { kind: 'file', bytes: Buffer.from(buffer.subarray(0, total)), stats };
  } catch (error) {
    const code = errorCode(error);
    return code === 'EISDIR' || code === 'EAGAIN' ? { kind: 'not-a-file' } : { kind: 'unreadable', stats: linkStats };
  } finally {
    await closeFd(fd).catch(() => undefined);
  }
}

export type Completeness = 'complete' | 'incomplete' | 'unknown';

/**
 * Whether the bytes hold a whole DER value. A PKCS#12 file is one DER SEQUENCE whose header states its length,
 * so a half-copied file is recognisable without waiting for the writer to go quiet. `unknown` for anything
 * else (PEM, zip, BER indefinite length): the caller falls back to "size and mtime stopped changing".
 */
export function derCompleteness(bytes: Buffer): Completeness {
  if (bytes.length === 0) return 'incomplete'; // cp and scp create the file empty, then write
  if (bytes[0] !== 0x30) return 'unknown';
  if (bytes.length < 2) return 'incomplete';
  const first = bytes[1]!;
  let total: number;
  if (first < 0x80) {
    total = 2 + first;
  } else {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4) return 'unknown';
    if (bytes.length < 2 + octets) return 'incomplete';
    let length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[2 + i]!;
    total = 2 + octets + length;
  }
  return bytes.length >= total ? 'complete' : 'incomplete';
}

/** Lowercase hex SHA-256. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Identity of a directory entry's content as far as stat can tell; a new key means "look again". */
export function statKey(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.mode}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}
