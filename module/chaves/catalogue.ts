import { EventEmitter } from 'node:events';
import { watch as watchFolder, promises as fsp, type FSWatcher as FolderWatcher, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { RndsError } from '../errors.js';
import type { ChavesDirInfo, Entry, EntryStatus } from '../types.js';
import { isCertificateFileName } from './file-names.js';
import { displayName } from '../present/index.js';
import { compareFileNames, DEFAULT_STABLE_MS, inspectEntry, mapLimited, probeDir } from './inspect.js';
import { DEFAULT_MAX_FILE_SIZE, derCompleteness, lstatOf, readFileSafely, sha256Hex, statKey } from './safe-read.js';

export interface ChavesCatalogueOptions {
  /** The watched folder, e.g. `/opt/e-SUS/webserver/chaves`. It may be missing; it is picked up when created. */
  dir: string;
  /** Poll instead of relying on inotify/FSEvents — for network shares, where change notifications never come. */
  polling?: boolean;
  /** Poll interval in polling mode (default 500 ms): the folder is stat-polled and re-listed this often. */
  pollIntervalMs?: number;
  /** Largest file read, in bytes (default 64 KiB); bigger files are listed as `too-large` and never read. */
  maxFileSize?: number;
  /** Full re-listing as a safety net against lost notifications (default 5000 ms; 0 turns it off). Not used in polling mode. */
  rescanIntervalMs?: number;
  /** Quiet time after which a file whose format does not state its length counts as fully written (default 100 ms). */
  stableMs?: number;
  /** `change` events within this window are coalesced into one (default 20 ms). */
  debounceMs?: number;
}

interface Tracked {
  entry: Readonly<Entry>;
  key: string;
  /** When `key` was first seen: the writer has been quiet since then. */
  quietSince: number;
}

/** Statuses that cannot change while the stat key stays the same, so the file need not be opened again. */
const SETTLED: ReadonlySet<EntryStatus> = new Set<EntryStatus>(['ready', 'too-large', 'not-a-file', 'unusable']);
const MAX_PARALLEL_CHECKS = 16;

function sameEntry(a: Entry | undefined, b: Entry): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.size === b.size &&
    a.modifiedAt === b.modifiedAt &&
    a.sha256 === b.sha256 &&
    a.reason === b.reason
  );
}

/**
 * Which folder a path names now. The inode alone does not tell: a folder removed and made again usually gets the same
 * inode back at once (ext4 reuses it), and the watch on the old one is dead; its birth time differs.
 */
async function identity(path: string): Promise<string> {
  try {
    const stats = await fsp.stat(path, { bigint: true });
    return `${stats.dev}:${stats.ino}:${stats.birthtimeNs}`;
  } catch {
    return 'none';
  }
}

/**
 * The live catalogue of the chaves folder. chokidar only says "look at this name"; every decision comes from the
 * catalogue's own lstat and safe read, so a lost, late or duplicate notification cannot produce a wrong entry.
 * Emits `change` (coalesced) whenever the list or the folder state changes. Listeners must not throw.
 */
export class ChavesCatalogue extends EventEmitter<{ change: [] }> {
  private readonly dir: string;
  private readonly polling: boolean;
  private readonly pollIntervalMs: number;
  private readonly maxFileSize: number;
  private readonly rescanIntervalMs: number;
  private readonly stableMs: number;
  private readonly debounceMs: number;

  private readonly tracked = new Map<string, Tracked>();
  private changes = 0;
  private sorted: Entry[] | null = null;
  /**
   * The tracked names in list order, kept between changes: names that came are sorted on their own and merged in, so
   * a listing asked for after every change of a burst costs a merge, not a sort of the whole folder.
   */
  private order: string[] = [];
  private readonly cameNames = new Set<string>();
  private wentNames = false;
  private dirState: ChavesDirInfo;

  /**
   * Names the watcher announced in this turn of the event loop, looked at together once it ends: a copy announces
   * each file several times (created, written…), and thousands at once when a folder is copied in (issue 14).
   */
  private readonly noticed = new Set<string>();
  private noticedFlush: NodeJS.Immediate | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly checkAgain = new Set<string>();
  private readonly followUps = new Map<string, NodeJS.Timeout>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  private reconcileRunning: Promise<void> | null = null;
  private reconcileAgain = false;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private emitTimer: NodeJS.Timeout | null = null;

  private watcher: FSWatcher | null = null;
  /** Notification mode: the folder's own fs.watch, which names every entry created, written, renamed or removed. */
  private folderWatcher: FolderWatcher | null = null;
  private armedKey: string | null = null;
  private arming: Promise<void> = Promise.resolve();
  private starting: Promise<void> | null = null;
  private closed = false;
  private readonly closedSignal: Promise<void>;
  private signalClosed!: () => void;

  constructor(options: ChavesCatalogueOptions) {
    super();
    this.dir = resolve(options.dir);
    this.polling = options.polling ?? false;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    this.rescanIntervalMs = options.rescanIntervalMs ?? 5000;
    this.stableMs = options.stableMs ?? DEFAULT_STABLE_MS;
    this.debounceMs = options.debounceMs ?? 20;
    this.dirState = { path: this.dir, exists: false, readable: false };
    this.closedSignal = new Promise((resolveClosed) => {
      this.signalClosed = resolveClosed;
    });
  }

  /** Starts watching; resolves after the first full listing (files already there are hashed by then). */
  start(): Promise<void> {
    this.starting ??= (async () => {
      // Watch before listing, so nothing that happens during the listing is missed.
      await this.arm();
      await this.reconcile();
      // In polling mode the periodic listing is what notices content changes, so it runs every poll interval.
      const every = this.polling ? this.pollIntervalMs : this.rescanIntervalMs;
      if (this.closed || every <= 0) return;
      this.rescanTimer = setInterval(() => void this.reconcile(), every);
      this.rescanTimer.unref();
    })();
    return this.starting;
  }

  /** The `.pfx`/`.p12` entries directly in the folder, sorted by name. Cheap: served from the cache. */
  list(): Entry[] {
    this.sorted ??= this.sortedNames().map((name) => this.tracked.get(name)!.entry);
    return this.sorted.slice();
  }

  private sortedNames(): string[] {
    let order = this.order;
    // A name that went and came back since the last listing is both in `order` and among those that came: the
    // merge puts it back once.
    if (this.wentNames || this.cameNames.size > 0) order = order.filter((name) => this.tracked.has(name) && !this.cameNames.has(name));
    if (this.cameNames.size > 0) {
      const came = [...this.cameNames].sort(compareFileNames);
      const merged: string[] = [];
      let i = 0;
      let j = 0;
      while (i < order.length && j < came.length) merged.push(compareFileNames(order[i]!, came[j]!) <= 0 ? order[i++]! : came[j++]!);
      order = merged.concat(order.slice(i), came.slice(j));
    }
    this.cameNames.clear();
    this.wentNames = false;
    this.order = order;
    return order;
  }

  /** The entry named exactly `file` (no normalisation, no case folding), if listed. */
  get(file: string): Entry | undefined {
    return this.tracked.get(file)?.entry;
  }

  /** Counts every change of the list or the folder state (before the coalesced `change` event): equal means unchanged. */
  get revision(): number {
    return this.changes;
  }

  /** Whether the folder exists and can be listed. */
  dirInfo(): ChavesDirInfo {
    return { ...this.dirState };
  }

  /**
   * Reads a currently listed `ready` entry with the same safety rules as the listing and returns its bytes with
   * their SHA-256 (computed from the bytes read, which may be newer than the listed hash).
   * @throws RndsError CERTIFICATE_NOT_FOUND when `file` is not a listed ready entry or stopped being one.
   */
  async readEntry(file: string): Promise<{ bytes: Buffer; sha256: string }> {
    const tracked = this.tracked.get(file);
    if (!tracked || tracked.entry.status !== 'ready') throw this.notFound(file, tracked?.entry.status === 'unusable' ? tracked.entry.reason : undefined);
    const result = await readFileSafely(join(this.dir, file), this.maxFileSize);
    if (result.kind !== 'file' || derCompleteness(result.bytes) === 'incomplete') {
      void this.check(file);
      throw this.notFound(file);
    }
    return { bytes: result.bytes, sha256: sha256Hex(result.bytes) };
  }

  /**
   * Resolves once the catalogue has nothing left to decide: no look at a name or re-listing running or scheduled,
   * no follow-up after a quiet interval and no `change` waiting to be emitted (the periodic rescan does not count).
   * What the list says then stays so until the folder changes. Tests wait on this instead of sleeping.
   */
  async idle(): Promise<void> {
    while (!this.closed) {
      const running = [...this.inFlight.values(), this.reconcileRunning, this.arming, this.starting];
      if (this.inFlight.size > 0 || this.reconcileRunning) {
        await Promise.allSettled(running);
      } else if (this.followUps.size > 0 || this.reconcileTimer || this.emitTimer || this.noticedFlush) {
        // A timer of ours is due: let the event loop run it, then look again.
        await new Promise<void>((wake) => setTimeout(wake, Math.min(this.debounceMs, this.stableMs, 10)));
      } else {
        await Promise.allSettled(running);
        if (this.inFlight.size === 0 && !this.reconcileRunning && this.followUps.size === 0 && !this.reconcileTimer && !this.emitTimer && !this.noticedFlush) return;
      }
    }
  }

  /** Stops watchers and timers so the process can exit. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signalClosed();
    for (const timer of [this.rescanTimer, this.emitTimer, this.reconcileTimer, ...this.followUps.values()]) {
      if (timer) clearTimeout(timer);
    }
    if (this.noticedFlush) clearImmediate(this.noticedFlush);
    this.noticedFlush = null;
    this.noticed.clear();
    this.followUps.clear();
    for (const wake of this.waiting.splice(0)) wake();
    const watcher = this.watcher;
    this.watcher = null;
    this.folderWatcher?.close();
    this.folderWatcher = null;
    await watcher?.close();
    await Promise.allSettled([...this.inFlight.values(), this.reconcileRunning, this.arming]);
  }

  private notFound(file: string, reason?: string): RndsError {
    if (reason) return new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(file)} não pode ser habilitado. ${reason}`);
    return new RndsError(
      'CERTIFICATE_NOT_FOUND',
      `O certificado ${displayName(file)} não está pronto na pasta chaves (${this.dir}). ` +
        'Confira se o arquivo .pfx ou .p12 está na pasta e terminou de ser copiado, atualize a lista e escolha-o de novo.',
    );
  }

  // ---- checking one name -------------------------------------------------------------------------------

  /** Looks at `name` again; concurrent requests for one name coalesce into one more look after the current one. */
  private check(name: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const running = this.inFlight.get(name);
    if (running) {
      this.checkAgain.add(name);
      return running;
    }
    const run = (async () => {
      do {
        this.checkAgain.delete(name);
        await this.limited(() => this.checkOnce(name));
      } while (this.checkAgain.has(name) && !this.closed);
    })().finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, run);
    return run;
  }

  /** Queues a look at `name` for the end of this turn of the event loop (see `noticed`). */
  private notice(name: string): void {
    this.noticed.add(name);
    this.noticedFlush ??= setImmediate(() => {
      this.noticedFlush = null;
      const names = [...this.noticed];
      this.noticed.clear();
      for (const noticed of names) void this.check(noticed);
    });
  }

  private async limited(task: () => Promise<void>): Promise<void> {
    if (this.active >= MAX_PARALLEL_CHECKS) await new Promise<void>((wake) => this.waiting.push(wake));
    if (this.closed) return;
    this.active++;
    try {
      await task();
    } catch {
      // An unexpected failure on one name must not stop the others; the next event or rescan looks again.
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private async checkOnce(name: string): Promise<void> {
    let lstats: Stats;
    try {
      lstats = await lstatOf(join(this.dir, name));
    } catch {
      this.forget(name);
      return;
    }
    if (this.closed) return;
    const previous = this.tracked.get(name);
    if (previous && previous.key === statKey(lstats) && SETTLED.has(previous.entry.status)) return;

    const now = Date.now();
    const quietSinceFor = (key: string): number => (previous?.key === key ? previous.quietSince : now);
    const inspection = await inspectEntry(this.dir, name, lstats, this.maxFileSize, (stats, key) => {
      const at = Date.now();
      return at - quietSinceFor(key) >= this.stableMs || at - stats.mtimeMs >= this.stableMs;
    });
    if (this.closed) return;
    if (!inspection) {
      this.forget(name);
      return;
    }
    const quietSince = quietSinceFor(inspection.key);
    this.store(name, { entry: Object.freeze(inspection.entry), key: inspection.key, quietSince });

    if (previous?.key !== inspection.key && this.polling) {
      // chokidar's polling may see a file between two writes and drop the notices that come within 5 ms of one
      // another, so the writer's last write may go unannounced: look once more after a quiet interval. The folder's
      // own fs.watch (notification mode) names every write, and one that lands during a look makes another look.
      this.followUp(name, this.stableMs);
    } else if (inspection.entry.status === 'incomplete' && inspection.completeness === 'unknown') {
      this.followUp(name, Math.max(0, quietSince + this.stableMs - Date.now()) + 1);
    }
    // A DER file short of its stated length just waits: its next write brings a notification (or the rescan).
  }

  private followUp(name: string, delayMs: number): void {
    const existing = this.followUps.get(name);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.followUps.delete(name);
      void this.check(name);
    }, delayMs);
    timer.unref();
    this.followUps.set(name, timer);
  }

  private store(name: string, tracked: Tracked): void {
    const previous = this.tracked.get(name);
    if (!previous) this.cameNames.add(name);
    this.tracked.set(name, tracked);
    if (!sameEntry(previous?.entry, tracked.entry)) this.changed();
  }

  private forget(name: string): void {
    const timer = this.followUps.get(name);
    if (timer) clearTimeout(timer);
    this.followUps.delete(name);
    if (this.tracked.delete(name)) {
      this.cameNames.delete(name);
      this.wentNames = true;
      this.changed();
    }
  }

  private changed(): void {
    this.changes++;
    this.sorted = null;
    if (this.emitTimer || this.closed) return;
    this.emitTimer = setTimeout(() => {
      this.emitTimer = null;
      if (this.closed) return;
      try {
        this.emit('change');
      } catch {
        // A failing listener (e.g. a closed stream) must not take the watcher down.
      }
    }, this.debounceMs);
    this.emitTimer.unref();
  }

  // ---- the whole folder ---------------------------------------------------------------------------------

  private requestReconcile(): void {
    if (this.reconcileTimer || this.closed) return;
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = null;
      void this.reconcile();
    }, 10);
    this.reconcileTimer.unref();
  }

  /** Re-lists the folder, re-checks every name (cheap when unchanged) and re-arms the watcher if needed. */
  private reconcile(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reconcileRunning) {
      this.reconcileAgain = true;
      return this.reconcileRunning;
    }
    const run = (async () => {
      do {
        this.reconcileAgain = false;
        try {
          await this.reconcileOnce();
        } catch {
          // The next rescan tries again.
        }
      } while (this.reconcileAgain && !this.closed);
    })().finally(() => {
      this.reconcileRunning = null;
    });
    this.reconcileRunning = run;
    return run;
  }

  private async reconcileOnce(): Promise<void> {
    const { info, names } = await probeDir(this.dir);
    if (this.closed) return;
    if (info.exists !== this.dirState.exists || info.readable !== this.dirState.readable) {
      this.dirState = info;
      this.changed();
    }
    const all = new Set(names);
    for (const name of this.tracked.keys()) all.add(name); // gone from the folder: the check forgets it
    // A bare lstat tells which settled entries are unchanged: with thousands of files, only those get skipped.
    const stale: string[] = [];
    await mapLimited([...all], 64, async (name) => {
      const tracked = this.tracked.get(name);
      if (tracked && SETTLED.has(tracked.entry.status) && !this.inFlight.has(name)) {
        const key = await lstatOf(join(this.dir, name)).then(statKey, () => null);
        if (key === tracked.key) return;
      }
      stale.push(name);
    });
    if (this.closed) return;
    await Promise.all(stale.map((name) => this.check(name)));
    await this.arm();
  }

  // ---- the watcher --------------------------------------------------------------------------------------

  /**
   * (Re)creates the watchers when the folder, its real location or its parent changed identity. chokidar watches the
   * parent, so that the folder appearing, vanishing or being recreated is noticed (a plain fs.watch on a recreated
   * folder goes silent without any error, hence the re-arming). The files are followed by the folder's own fs.watch,
   * which names each one: chokidar watching the folder itself would re-list it, with an lstat of every entry, about
   * once a second while files keep arriving — with thousands copied at once, most of the work (issue 14). In polling
   * mode chokidar polls the folder too (depth 1), as there are no notifications to name the files.
   */
  private arm(): Promise<void> {
    this.arming = this.arming.then(() => this.armOnce()).catch(() => undefined);
    return this.arming;
  }

  private async armOnce(): Promise<void> {
    if (this.closed) return;
    const target = await fsp.realpath(this.dir).catch(() => this.dir); // a symlinked chaves is watched where it lives
    const parent = dirname(target);
    const armKey = `${target}\0${await identity(target)}\0${await identity(parent)}`;
    if (this.closed || armKey === this.armedKey) return;
    const rearming = this.watcher !== null;
    const old = this.watcher;
    this.watcher = null;
    this.folderWatcher?.close();
    this.folderWatcher = null;
    await old?.close();
    if (this.closed) return;

    const watcher = watch(parent, {
      persistent: true,
      ignoreInitial: true, // the catalogue lists the folder itself
      followSymlinks: false,
      depth: this.polling ? 1 : 0, // parent → chaves, never below; without polling, chaves's files come from folderWatcher
      awaitWriteFinish: false, // its default adds 2 s to every file; completeness is judged here instead
      atomic: false, // would hold back removals for 100 ms; every notification is re-checked anyway
      ignorePermissionErrors: true,
      usePolling: this.polling,
      interval: this.pollIntervalMs,
      binaryInterval: this.pollIntervalMs,
      // Only the parent and the folder itself are watched. The folder's own notifications name the file that
      // changed (see 'raw' below), so per-file watchers are not needed: with thousands of files they would cost
      // seconds at start and exhaust inotify's per-user limit on older kernels.
      ignored: (path: string) => {
        const abs = resolve(path);
        return abs !== parent && abs !== target;
      },
    });
    this.watcher = watcher;
    this.armedKey = armKey;
    const onPath = (abs: string): void => {
      if (this.closed) return;
      // The folder itself, or a name beside it: a hard link made there to a listed file changes that file's link
      // count without any notice inside the folder, so the folder is listed again.
      if (abs === target || (abs !== parent && dirname(abs) === parent)) this.requestReconcile();
      else if (dirname(abs) === target && isCertificateFileName(basename(abs))) this.notice(basename(abs));
    };
    watcher.on('all', (_event, path) => onPath(resolve(path)));
    // fs.watch on the folder reports every entry created, written, renamed or removed in it, by name, and chokidar
    // passes these on unthrottled. In polling mode they only say "the folder changed" (a new or removed name);
    // content changes are then found by the listing that runs every poll interval.
    watcher.on('raw', (_event, path, details) => {
      if (typeof path !== 'string' || path === '') return;
      const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (typeof watched !== 'string') return onPath(resolve(path)); // polling: `path` is the full path
      const w = resolve(watched);
      onPath(w === target || w === parent ? join(w, path) : w);
    });
    watcher.on('error', () => this.requestReconcile());
    if (!this.polling) this.folderWatcher = this.watchFolder(target, onPath);
    await Promise.race([new Promise<void>((ready) => watcher.once('ready', () => ready())), this.closedSignal]);
    if (this.closed) {
      await watcher.close();
      return;
    }
    // Whatever happened while no watcher was looking is found by one more listing.
    if (rearming) this.requestReconcile();
  }

  /** fs.watch on the folder itself; null when it cannot be watched now (missing: the parent's watcher sees it come). */
  private watchFolder(target: string, onPath: (abs: string) => void): FolderWatcher | null {
    try {
      const folder = watchFolder(target, { persistent: true }, (_event, name) => {
        if (name) onPath(join(target, name.toString()));
        else this.requestReconcile(); // the kernel dropped names (queue overflow): list again
      });
      folder.on('error', () => {
        // The folder went away or the watch broke: look again, and re-arm on the next listing.
        if (this.folderWatcher === folder) {
          this.folderWatcher = null;
          this.armedKey = null;
        }
        folder.close();
        this.requestReconcile();
      });
      return folder;
    } catch {
      // Missing: the parent's watcher sees it come and the re-arming watches it. Any other refusal (the inotify limit):
      // the periodic listing still finds every change.
      return null;
    }
  }
}
