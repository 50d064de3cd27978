/**
 * The lines of a file from the last to the first, read backwards in fixed chunks: the latest events of a trail that
 * grew for years cost a few kilobytes, and a whole-file pass (an export) holds one chunk and one line at a time.
 */
import fsp from 'node:fs/promises';
import { errnoCode } from '../state/files.js';

export interface LinesFromEndOptions {
  /** Bytes read at a time. */
  chunkBytes?: number;
  /** A longer line is no record of this trail (damage, not data): it is skipped without being held whole. */
  maxLineBytes?: number;
  /** Told the size of every read (what a reading costs can be counted). */
  onRead?: (bytes: number) => void;
}

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

/** Every line of `file`, last first (a missing file has none). Lines are split on bytes, decoded whole (UTF-8 safe). */
export async function* linesFromEnd(file: string, options: LinesFromEndOptions = {}): AsyncGenerator<string> {
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  try {
    // Only what was there when reading began: a record appended meanwhile belongs to the next reading.
    let position = (await handle.stat()).size;
    const buffer = Buffer.allocUnsafe(chunkBytes);
    // The end of the line being assembled (the part after the chunk read last), and whether it is already too long.
    let tail: Buffer = EMPTY;
    let overlong = false;
    while (position > 0) {
      const length = Math.min(chunkBytes, position);
      position -= length;
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      options.onRead?.(bytesRead);
      const chunk = buffer.subarray(0, bytesRead);
      let end = chunk.length;
      for (let i = chunk.length - 1; i >= 0; i--) {
        if (chunk[i] !== NEWLINE) continue;
        if (!overlong) {
          const head = chunk.subarray(i + 1, end);
          const line = tail.length > 0 ? Buffer.concat([head, tail]) : head;
          if (line.length <= maxLineBytes) yield line.toString('utf8');
        }
        tail = EMPTY;
        overlong = false;
        end = i;
      }
      if (!overlong) {
        tail = Buffer.concat([chunk.subarray(0, end), tail]);
        if (tail.length > maxLineBytes) {
          tail = EMPTY;
          overlong = true;
        }
      }
    }
    if (!overlong && tail.length > 0) yield tail.toString('utf8');
  } finally {
    await handle.close();
  }
}
