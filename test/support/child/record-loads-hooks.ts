/** The loader hooks of record-loads.ts (they run in the loader's own thread). */
import { appendFileSync } from 'node:fs';

let file = '';

export function initialize(data: { file: string }): void {
  file = data.file;
}

export async function load(url: string, context: unknown, next: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  appendFileSync(file, `${url}\n`);
  return next(url, context);
}
