/**
 * A test seam in front of every file-system operation of the state layer that changes the data
 * folder (open, write, fsync, rename, link, unlink). Production passes nothing and the real `fs`
 * calls run unobserved; the crash test passes a `before` that copies the folder just before each
 * operation, which is exactly what a process killed at that point leaves on disk.
 */
export type FsOpName = 'open' | 'write' | 'fsync' | 'rename' | 'link' | 'unlink';

export interface FsSeam {
  /** Called synchronously just before `op` runs on `file` (a folder for a folder fsync). */
  before(op: FsOpName, file: string): void;
}

/** The production seam: nothing observed, nothing changed. */
export const REAL_FS: FsSeam = { before: () => undefined };
