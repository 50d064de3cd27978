/**
 * How long a wait may see nothing happen before the thing waited on is declared hung. A hang detector that turns a
 * stuck child, browser or watcher into a readable failure — never a speed check: correct code on a machine ten
 * times slower than a loaded 2-core box stays far below it.
 */
export const HANG_MS = 120_000;
