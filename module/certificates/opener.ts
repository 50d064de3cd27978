/**
 * createCertificateOpener: runs openPkcs12 in a worker thread, one job at a time, with a time
 * limit. A job that runs over is stopped by terminating the worker; the next job gets a new one.
 * The worker starts at the first open and is let go after a quiet while (`idleMs`): a thread with
 * its own heap and node-forge costs ~10 MB that an idle server does not need.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, RndsError } from '../errors.js';
import { CertificateMessages } from './messages.js';
import type { OpenedCertificate } from './open.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ITERATIONS, checkSize } from './summary.js';
import type { OpenJob } from './worker.js';

export interface CertificateOpenerOptions {
  /** Largest accepted file, in bytes (default 64 KiB). */
  maxBytes?: number;
  /** Largest accepted iteration count of any key derivation (default 200 000). */
  maxIterations?: number;
  /** Time limit of one open, in milliseconds, not counting the worker's start (default 15 s). */
  timeoutMs?: number;
  /** The installation's time zone, for dates and days left (default America/Sao_Paulo). */
  timeZone?: string;
  /**
   * Arms the time limit of one open: calls `expire` once `ms` have passed and returns what disarms it. Default
   * setTimeout; tests pass their own to decide, without a clock, which job runs over.
   */
  startTimeLimit?: (ms: number, expire: () => void) => () => void;
  /** How long the worker may sit without a job before it is let go (default 60 s); the next open starts a new one. */
  idleMs?: number;
  /** Arms the idle delay, like `startTimeLimit` (default setTimeout, unref'd): tests decide when the worker goes. */
  startIdleTimer?: (ms: number, expire: () => void) => () => void;
}

const realTimeLimit = (ms: number, expire: () => void): (() => void) => {
  const timer = setTimeout(expire, ms);
  return () => clearTimeout(timer);
};

const realIdleTimer = (ms: number, expire: () => void): (() => void) => {
  const timer = setTimeout(expire, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface OpenOptions {
  fileName?: string;
  now?: Date;
  checkValidity?: boolean;
  /** Default: the opener's. */
  timeZone?: string;
  /** Only a renewal of this certificate (open.ts, `renewalOf`). */
  renewalOf?: { issuerDer: Uint8Array; cnpj: string; notAfter: Date };
}

export interface CertificateOpener {
  /** Opens a PKCS#12 in the worker; rejects with RndsError. Jobs run one at a time, in order. */
  open(bytes: Uint8Array, password: string, options?: OpenOptions): Promise<OpenedCertificate>;
  /** Stops the worker; pending and later opens reject. */
  close(): Promise<void>;
  /** Whether a worker thread exists now (started, not yet let go). */
  readonly workerRunning: boolean;
  /** How many worker threads were started so far (a new one after each idle let-go or a job that ran over). */
  readonly workersStarted: number;
}

type WorkerReply =
  | { ready: true }
  | { id: number; ok: true; result: OpenedCertificate }
  | { id: number; ok: false; code: ErrorCode; message: string; fields?: Record<string, string> };

interface Job {
  bytes: Uint8Array;
  password: string;
  options: OpenOptions;
  resolve(result: OpenedCertificate): void;
  reject(error: unknown): void;
}

interface Thread {
  worker: Worker;
  ready: boolean;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_IDLE_MS = 60_000;
/** A worker that has not loaded after this long is broken, not slow. */
const BOOT_TIMEOUT_MS = 30_000;

const unexpected = (cause?: unknown): RndsError =>
  new RndsError('INTERNAL', 'Erro inesperado ao abrir o certificado. Tente novamente.', { cause });

/** Creates an opener that owns one worker thread (started on first use, unref'd while idle). */
export function createCertificateOpener(options: CertificateOpenerOptions = {}): CertificateOpener {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const startTimeLimit = options.startTimeLimit ?? realTimeLimit;
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const startIdleTimer = options.startIdleTimer ?? realIdleTimer;
  const queue: Job[] = [];
  let thread: Thread | null = null;
  let running = false;
  let closed = false;
  let nextId = 1;
  let started = 0;
  /** A job is in the worker now. */
  let busy = false;
  let disarmIdle: (() => void) | null = null;

  const closedError = (): RndsError =>
    new RndsError('INTERNAL', 'O leitor de certificados foi encerrado. Reinicie o módulo e tente novamente.');

  const startThread = (): Thread => {
    const fresh: Thread = { worker: spawnWorker(), ready: false };
    started++;
    // A worker that dies while idle must not be handed the next job.
    fresh.worker.once('exit', () => {
      if (thread === fresh) thread = null;
    });
    return fresh;
  };

  /** After the last queued job: the worker goes once it has been idle for idleMs (a new open disarms this). */
  const armIdle = (): void => {
    disarmIdle?.();
    disarmIdle = null;
    const idle = thread;
    if (!idle || closed) return;
    disarmIdle = startIdleTimer(idleMs, () => {
      disarmIdle = null;
      if (thread !== idle || busy || queue.length > 0) return;
      thread = null;
      void idle.worker.terminate();
    });
  };

  const run = (job: Job): Promise<void> =>
    new Promise<void>((done) => {
      const current = (thread ??= startThread());
      const { worker } = current;
      busy = true;
      const id = nextId++;
      let timer: NodeJS.Timeout | undefined;
      let disarmLimit = (): void => undefined;
      let settled = false;
      const finish = (outcome: () => void, discard: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        disarmLimit();
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        busy = false;
        if (discard) {
          if (thread === current) thread = null;
          void worker.terminate();
        } else {
          worker.unref();
        }
        // The last job of the queue: the worker may go after the idle delay (before the caller hears the result, so
        // that a caller's next open always finds the timer to disarm).
        if (queue.length === 0) armIdle();
        outcome();
        done();
      };
      const post = (): void => {
        disarmLimit = startTimeLimit(timeoutMs, () =>
          finish(() => job.reject(new CertificateMessages(job.options.fileName).timedOut(timeoutMs)), true),
        );
        const message: OpenJob = {
          id,
          bytes: job.bytes,
          password: job.password,
          options: { timeZone: options.timeZone, ...job.options, maxBytes, maxIterations },
        };
        worker.postMessage(message);
      };
      const onMessage = (reply: WorkerReply): void => {
        if ('ready' in reply) {
          current.ready = true;
          clearTimeout(timer);
          post();
          return;
        }
        if (reply.id !== id) return;
        finish(
          () =>
            reply.ok
              ? job.resolve(reply.result)
              : job.reject(new RndsError(reply.code, reply.message, reply.fields ? { fields: reply.fields } : {})),
          false,
        );
      };
      const onError = (error: unknown): void => finish(() => job.reject(unexpected(error)), true);
      const onExit = (): void =>
        closed
          ? finish(() => job.reject(closedError()), true)
          : onError(new Error('a thread de leitura de certificados terminou'));
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.ref();
      if (current.ready) post();
      else timer = setTimeout(() => onError(new Error('a thread de leitura não iniciou')), BOOT_TIMEOUT_MS);
    });

  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (let job = queue.shift(); job && !closed; job = queue.shift()) await run(job);
    } finally {
      running = false;
    }
  };

  return {
    open(bytes, password, openOptions = {}) {
      if (closed) return Promise.reject(closedError());
      try {
        checkSize(bytes, maxBytes, new CertificateMessages(openOptions.fileName));
      } catch (error) {
        return Promise.reject(error);
      }
      disarmIdle?.();
      disarmIdle = null;
      return new Promise<OpenedCertificate>((resolve, reject) => {
        queue.push({ bytes, password, options: openOptions, resolve, reject });
        void pump();
      });
    },
    get workerRunning() {
      return thread !== null;
    },
    get workersStarted() {
      return started;
    },
    async close() {
      closed = true;
      disarmIdle?.();
      disarmIdle = null;
      for (const job of queue.splice(0)) job.reject(closedError());
      const current = thread;
      thread = null;
      // Terminating makes a running job fail through its 'exit' listener.
      if (current) await current.worker.terminate();
    },
  };
}

/**
 * Compiled JS runs dist/…/worker.js. Under vitest or tsx this file is TypeScript: the worker then runs the compiled
 * worker of this checkout's dist/ when that build is not older than any module/ source (`npm test` builds first), as
 * a TypeScript worker starts 2–3 times slower; otherwise it registers tsx's loader before importing worker.ts (on
 * Node 20, `execArgv: ['--import', 'tsx']` does not reach a worker's entry module).
 */
function spawnWorker(): Worker {
  // The worker only parses a small file; a tight heap bounds what a hostile file can cost.
  const resourceLimits = { maxOldGenerationSizeMb: 128 };
  let worker: Worker;
  if (!import.meta.url.endsWith('.ts')) {
    worker = new Worker(new URL('./worker.js', import.meta.url), { resourceLimits });
  } else if (builtWorker() !== null) {
    worker = new Worker(builtWorker()!, { resourceLimits });
  } else {
    // The ESM build of tsx's API (its CJS build cannot be import()ed).
    const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
    const tsxApi = pathToFileURL(path.join(path.dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
    const entry = new URL('./worker.ts', import.meta.url).href;
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => api.register()).then(() => import(${JSON.stringify(entry)}))`;
    worker = new Worker(bootstrap, { eval: true, resourceLimits });
  }
  worker.unref();
  return worker;
}

let built: URL | null | undefined;

/** From TypeScript sources: dist/module/certificates/worker.js when the last build is current, else null (once). */
function builtWorker(): URL | null {
  if (built !== undefined) return built;
  built = null;
  const moduleDir = fileURLToPath(new URL('..', import.meta.url));
  const dist = path.join(moduleDir, '../dist');
  const compiled = path.join(dist, 'module/certificates/worker.js');
  try {
    // scripts/build.mjs stamps a successful build with the time it started.
    const stamp = fs.statSync(path.join(dist, '.build-stamp')).mtimeMs;
    if (fs.existsSync(compiled) && newestMtime(moduleDir) <= stamp) built = pathToFileURL(compiled);
  } catch {
    // no build yet
  }
  return built;
}

function newestMtime(target: string): number {
  const stat = fs.lstatSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(target).reduce((newest, name) => Math.max(newest, newestMtime(path.join(target, name))), stat.mtimeMs);
}
