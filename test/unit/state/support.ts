import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compiled } from '../../support/spawn.js';
import { tempRoot } from '../../support/files.js';

export const helpersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers');

/** A fresh folder under os.tmpdir(); `dataDir` inside it does not exist yet. */
export async function makeTempRoot(): Promise<{ root: string; dataDir: string; cleanup: () => Promise<void> }> {
  const { base, cleanup } = await tempRoot('pec-rnds-state-');
  return { root: base, dataDir: path.join(base, 'data'), cleanup };
}

export function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/** A pid that certainly belonged to a process and is certainly dead now. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((resolve) => child.once('exit', resolve));
  return pid;
}

/** Starts a helper of helpers/ (compiled: dist/test/unit/state/helpers/<name>.js) in a child node. */
export function spawnHelper(script: string, args: string[], options: { shell?: string } = {}): ChildProcess {
  const file = compiled(`test/unit/state/helpers/${script}`);
  if (options.shell) {
    // `$0`, `$1`… inside the shell snippet are node, the script, its args.
    return spawn('bash', ['-c', options.shell, process.execPath, file, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }
  return spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

export { runToEnd } from '../../support/spawn.js';

/** Every regular file under `dir`, recursively. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
