/**
 * Child processes for tests. Children run from compiled JS (dist/, built by `npm run build`, which `npm test` runs
 * first): starting `node --import tsx` costs a TypeScript compile per child, which on a loaded machine was most of a
 * test's time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from './files.js';
import { HANG_MS } from './wait.js';

export { ROOT };

/** The compiled JS of a TypeScript source given relative to the root, e.g. `scripts/serve.ts`. */
export function compiled(source: string): string {
  const file = path.join(ROOT, 'dist', source.replace(/\.ts$/, '.js'));
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (\`npm test\` does).`);
  return file;
}

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The guard killed it (it ran past `guardMs`: hung). */
  killedByGuard: boolean;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to its stdin, which is then closed; without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Runs it as this user (and `gid`, default the same number): the test must be root. */
  uid?: number;
  gid?: number;
  /** Kills it with SIGKILL after this long: turns a hung child into a failure, not a speed budget. None by default. */
  guardMs?: number;
}

/** Runs a command to its end and collects what it printed (the one way tests run a child to completion). */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
    });
    let killedByGuard = false;
    const guard = options.guardMs === undefined ? undefined : setTimeout(() => {
      killedByGuard = true;
      child.kill('SIGKILL');
    }, options.guardMs);
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    void runToEnd(child).then(({ code, signal, stdout, stderr }) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, killedByGuard });
    });
  });
}

/**
 * For a child that runs as another user: copies the compiled `source` (a TypeScript path relative to the root, as for
 * `compiled`), dist/module and the npm `packages` it imports (with their dependencies) into a fresh temporary folder
 * any user can read, and gives the node binary to run it with (a link or copy when this one sits in a folder others
 * cannot enter, like a checkout under a 0700 home). The caller removes `dir`.
 */
export function copyForAnyone(source: string, packages: string[]): { dir: string; node: string; script: string } {
  const dir = tempDir('pec-rnds-anyone-');
  const script = path.join(dir, path.relative(ROOT, compiled(source)));
  const copy = (from: string, to: string): void =>
    fs.cpSync(from, to, { recursive: true, filter: (file) => !file.endsWith('.map') && !file.endsWith('.d.ts') });
  copy(path.join(ROOT, 'dist/module'), path.join(dir, 'dist/module'));
  copy(path.dirname(compiled(source)), path.dirname(script));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const pending = [...packages];
  const copied = new Set<string>();
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (copied.has(name)) continue;
    copied.add(name);
    const from = path.join(ROOT, 'node_modules', name);
    copy(from, path.join(dir, 'node_modules', name));
    const manifest = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    pending.push(...Object.keys(manifest.dependencies ?? {}));
  }
  let node = process.execPath;
  if (!reachableByAnyone(node)) {
    node = path.join(dir, 'node');
    try {
      fs.linkSync(process.execPath, node);
    } catch {
      fs.copyFileSync(process.execPath, node);
    }
  }
  openToAnyone(dir);
  return { dir, node, script };
}

/** Whether every folder above `file` lets others through and the file lets them read and run it. */
function reachableByAnyone(file: string): boolean {
  if ((fs.statSync(file).mode & 0o005) !== 0o005) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
    if (path.dirname(dir) === dir) return true;
  }
}

/** Folders 0755, files 0644 (0755 where their owner may run them), whatever the umask was. */
function openToAnyone(target: string): void {
  const stat = fs.lstatSync(target);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    fs.chmodSync(target, 0o755);
    for (const name of fs.readdirSync(target)) openToAnyone(path.join(target, name));
  } else {
    fs.chmodSync(target, stat.mode & 0o100 ? 0o755 : 0o644);
  }
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

export interface Started {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first stdout/stderr match of `pattern`; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** Starts a long-running child (our server, nginx) and keeps its output for assertions and failure messages. */
export function start(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Started {
  const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => {
    exited = true;
    for (const l of listeners) l();
    resolve();
  }));
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs = HANG_MS) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern} in:\n${output}`)), timeoutMs);
        const check = () => {
          const m = output.match(pattern);
          if (m) return done(undefined, m);
          if (exited) done(new Error(`${command} exited before printing ${pattern}:\n${output}`));
        };
        const done = (error?: Error, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve(m!);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}
