import fs from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { ChavesCatalogue } from '../../../module/chaves/index.js';
import { compiled, copyForAnyone, run, type Ran } from '../../support/spawn.js';
import { HANG_MS } from '../../support/wait.js';

export { ROOT as PROJECT_ROOT } from '../../support/files.js';
import { ROOT as PROJECT_ROOT, tempRoot } from '../../support/files.js';

/** The start of a PFX: version INTEGER 3, then authSafe ContentInfo { pkcs7-data … } (BER length). */
const PFX_START = Buffer.from('020103308006092a864886f70d010701', 'hex');

/**
 * Bytes shaped like a PKCS#12 file: one DER SEQUENCE whose header states the length, starting as a PFX does (version
 * 3, a pkcs7-data authSafe) so the catalogue takes it for one; the rest of the content is random.
 */
export function derBlob(contentLength = 2500): Buffer {
  const content = Buffer.concat([PFX_START, randomBytes(contentLength)]).subarray(0, Math.max(contentLength, PFX_START.length));
  const header = contentLength < 0x80
    ? Buffer.from([0x30, contentLength])
    : contentLength < 0x10000
      ? Buffer.from([0x30, 0x82, contentLength >> 8, contentLength & 0xff])
      : Buffer.from([0x30, 0x83, contentLength >> 16, (contentLength >> 8) & 0xff, contentLength & 0xff]);
  return Buffer.concat([header, content]);
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A fresh temp dir and its cleanup. */
export const tempDir = (prefix = 'chaves-test-'): Promise<{ base: string; cleanup: () => Promise<void> }> => tempRoot(prefix);

/**
 * Resolves once `predicate` holds, checked now and after every `change` event. The timeout only turns a hang into
 * a readable failure; it is not a speed assertion.
 */
export function waitForCatalogue(
  catalogue: ChavesCatalogue,
  predicate: () => boolean,
  what: string,
  timeoutMs = HANG_MS,
): Promise<void> {
  return waitOnChanges(catalogue, predicate, what, true, timeoutMs);
}

/** Resolves at the first `change` event after which `predicate` holds (the listing alone is not enough: the event is debounced). */
export function changeEventWhere(catalogue: ChavesCatalogue, predicate: () => boolean, what: string): Promise<void> {
  return waitOnChanges(catalogue, predicate, what, false, HANG_MS);
}

function waitOnChanges(catalogue: ChavesCatalogue, predicate: () => boolean, what: string, checkNow: boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const check = (): void => {
      if (!predicate()) return;
      cleanup();
      resolvePromise();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`nunca aconteceu: ${what}; lista: ${JSON.stringify(catalogue.list())}; pasta: ${JSON.stringify(catalogue.dirInfo())}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      catalogue.off('change', check);
    };
    catalogue.on('change', check);
    if (checkNow) check();
  });
}


export type ChildResult = Ran;

/**
 * Runs test/unit/chaves/child/list-chaves.ts in its own Node process; as another user (`uid`), from a copy in a
 * folder that user can reach (the checkout may sit under a private home).
 */
export async function runListChild(args: string[], options: { uid?: number; gid?: number; guardMs?: number } = {}): Promise<ChildResult> {
  const source = 'test/unit/chaves/child/list-chaves.ts';
  const env = { ...process.env, HOME: tmpdir() };
  const guardMs = options.guardMs ?? HANG_MS;
  if (options.uid === undefined) return run(process.execPath, [compiled(source), ...args], { cwd: PROJECT_ROOT, env, guardMs });
  const copy = copyForAnyone(source, ['chokidar']);
  try {
    return await run(copy.node, [copy.script, ...args], { cwd: copy.dir, env, uid: options.uid, gid: options.gid, guardMs });
  } finally {
    fs.rmSync(copy.dir, { recursive: true, force: true });
  }
}
