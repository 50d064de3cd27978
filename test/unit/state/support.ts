import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compiled } from '../../support/spawn.js';

export const helpersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers');

/** A fresh folder under os.tmpdir(); `dataDir` inside it does not exist yet. */
export async function makeTempRoot(): Promise<{ root: string; dataDir: string; cleanup: () => Promise<void> }> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'pec-rnds-state-'));
  return { root, dataDir: path.join(root, 'data'), cleanup: () => fsp.rm(root, { recursive: true, force: true }) };
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

/** Collects a child's output and waits for it to exit. */
export async function runToEnd(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (c, s) => resolve([c, s])),
  );
  return { code, signal, stdout, stderr };
}

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

/**
 * Resolves with the first line of the child's stdout matching `pattern`. Rejects if the child exits
 * first, or if the watchdog sees no output at all for `watchdogMs` (a hung child, not a speed check;
 * every line resets it): then the child is killed.
 */
export function waitForLine(child: ChildProcess, pattern: RegExp, watchdogMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let stderr = '';
    let watchdog: NodeJS.Timeout;
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        done();
        child.kill('SIGKILL');
        reject(new Error(`watchdog: the child printed nothing for ${watchdogMs / 1000} s while we waited for ${pattern}; killed it. stderr: ${stderr}`));
      }, watchdogMs);
    };
    const onStderr = (chunk: Buffer): void => void (stderr += chunk.toString());
    const done = (): void => {
      clearTimeout(watchdog);
      child.stdout!.off('data', onData);
      child.stderr?.off('data', onStderr);
      child.off('exit', onExit);
    };
    const onData = (chunk: Buffer): void => {
      arm();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      const hit = lines.find((line) => pattern.test(line));
      if (hit !== undefined) {
        done();
        resolve(hit);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      done();
      reject(new Error(`child exited (${code ?? signal}) before a line matching ${pattern}: ${stderr}`));
    };
    arm();
    child.stdout!.on('data', onData);
    child.stderr?.on('data', onStderr);
    child.on('exit', onExit);
  });
}
