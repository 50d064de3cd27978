/**
 * prom-client, loaded on first use (the first scrape of /metrics): importing it costs ~30 ms of start and a few MB
 * that a server nobody scrapes never needs (README, "Lean"). It is CommonJS, so `require` loads it synchronously.
 */
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';

export type PromClient = typeof Prom;

let loaded: PromClient | undefined;

export function promClient(): PromClient {
  return (loaded ??= createRequire(import.meta.url)('prom-client') as PromClient);
}
