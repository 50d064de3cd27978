/**
 * Child processes for tests. Children run from compiled JS (dist/, built by `npm run build`, which `npm test` runs
 * first): starting `node --import tsx` costs a TypeScript compile per child, which on a loaded machine was most of a
 * test's time.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ROOT } from './files.js';

export { ROOT };

/** The compiled JS of a TypeScript source given relative to the root, e.g. `scripts/serve.ts`. */
export function compiled(source: string): string {
  const file = path.join(ROOT, 'dist', source.replace(/\.ts$/, '.js'));
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (\`npm test\` does).`);
  return file;
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
