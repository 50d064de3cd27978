/** Shared helpers of the benchmark sections (scripts/bench/NN-name.ts). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One benchmark section; scripts/bench.ts runs every `section` export, in file-name order. */
export interface BenchSection {
  title: string;
  run(): Promise<void>;
}

/** The folder holding package.json, from either scripts/ (tsx) or dist/scripts/ (compiled). */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json não encontrado');
    dir = parent;
  }
  return dir;
}

/**
 * Median time in ms of `fn`, or null when it throws. Runs it about `budgetMs` worth of times
 * (between 5 and 50 runs) after two warm-up calls.
 */
export function medianMs(fn: () => unknown, budgetMs = 600): number | null {
  try {
    fn();
    fn();
  } catch {
    return null;
  }
  const first = timeOnce(fn);
  const runs = Math.min(50, Math.max(5, Math.ceil(budgetMs / Math.max(first, 0.01))));
  const samples = [first];
  for (let i = 1; i < runs; i++) samples.push(timeOnce(fn));
  return median(samples);
}

export async function medianMsAsync(fn: () => Promise<unknown>, runs = 20): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

function timeOnce(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const ms = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(2)} ms`);

/** Prints rows as aligned columns; the first row is the header. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const [index, row] of rows.entries()) {
    console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
}
