/**
 * Benchmark section: how long after a writer closes a certificate file the catalogue announces it as `ready`
 * (observed through the `change` event), in the default (notification) mode and in polling mode.
 * Run alone: `npx tsx scripts/bench/chaves-latency.ts`; or through scripts/bench.ts, which calls run().
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watch } from 'chokidar';
import { ChavesCatalogue, type ChavesCatalogueOptions } from '../../module/chaves/index.js';

const DROPS = 25;

/** A file shaped like a PKCS#12 (one DER SEQUENCE stating its length), ~3 KiB as real A1 certificates are. */
function pkcs12Like(): Buffer {
  const length = 3000;
  return Buffer.concat([Buffer.from([0x30, 0x82, length >> 8, length & 0xff]), randomBytes(length)]);
}

/** A file whose format does not state its length: ready only after the quiet time. */
function pemLike(): Buffer {
  return Buffer.from(`-----BEGIN PKCS12-----\n${randomBytes(2000).toString('base64')}\n-----END PKCS12-----\n`);
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

/** Something that watches a folder and resolves when a file is seen as whole (returns the time it was seen). */
interface Detector {
  seen(file: string): Promise<number>;
  close(): Promise<void>;
}

async function catalogueDetector(dir: string, options: Omit<ChavesCatalogueOptions, 'dir'>): Promise<Detector> {
  const catalogue = new ChavesCatalogue({ dir, ...options });
  await catalogue.start();
  return {
    seen: (file) =>
      new Promise<number>((done) => {
        const onChange = (): void => {
          if (catalogue.get(file)?.status !== 'ready') return;
          catalogue.off('change', onChange);
          done(performance.now());
        };
        catalogue.on('change', onChange);
      }),
    close: () => catalogue.close(),
  };
}

/** The baseline: chokidar as its README suggests for "wait until the copy ends" (awaitWriteFinish defaults). */
async function chokidarDefaultDetector(dir: string): Promise<Detector> {
  const watcher = watch(dir, { ignoreInitial: true, awaitWriteFinish: true });
  await new Promise<void>((r) => watcher.once('ready', () => r()));
  return {
    seen: (file) =>
      new Promise<number>((done) => {
        const onAdd = (path: string): void => {
          if (basename(path) !== file) return;
          watcher.off('add', onAdd);
          done(performance.now());
        };
        watcher.on('add', onAdd);
      }),
    close: () => watcher.close(),
  };
}

/** Drops DROPS files and returns the median latency (writer closes file → detector says whole). */
async function measure(label: string, detector: (dir: string) => Promise<Detector>, content: () => Buffer, drops = DROPS): Promise<number> {
  const base = await mkdtemp(join(tmpdir(), 'bench-chaves-'));
  const dir = join(base, 'chaves');
  await mkdir(dir);
  const watching = await detector(dir);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < drops; i++) {
      const file = `medida-${i}.pfx`;
      const seen = watching.seen(file);
      await writeFile(join(dir, file), content()); // open, write, close: like cp
      const closedAt = performance.now();
      // The entry may be announced before close() returns (the last write already made it whole).
      latencies.push(Math.max(0, (await seen) - closedAt));
      // Random spacing, so drops do not line up with the poll ticks.
      await new Promise((r) => setTimeout(r, 30 + Math.random() * 500));
    }
  } finally {
    await watching.close();
    await rm(base, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  const fmt = (ms: number): string => `${ms.toFixed(1).padStart(7)} ms`;
  const median = percentile(latencies, 50);
  console.log(
    `  ${label.padEnd(44)} mediana ${fmt(median)}  p95 ${fmt(percentile(latencies, 95))}` +
      `  máx ${fmt(latencies[latencies.length - 1]!)}  (${latencies.length} arquivos)`,
  );
  return median;
}

/** Prints the detection latency figures (writer closes the file → entry `ready` announced). */
export async function run(): Promise<void> {
  console.log('Pasta chaves — do fechamento do arquivo até "ready" (evento change):');
  const ours = await measure('padrão (notificações do sistema)', (dir) => catalogueDetector(dir, {}), pkcs12Like);
  await measure('padrão, arquivo sem tamanho DER (PEM)', (dir) => catalogueDetector(dir, {}), pemLike);
  await measure('polling, intervalo 500 ms (padrão)', (dir) => catalogueDetector(dir, { polling: true }), pkcs12Like);
  await measure('polling, intervalo 100 ms', (dir) => catalogueDetector(dir, { polling: true, pollIntervalMs: 100 }), pkcs12Like);
  const baseline = await measure('referência: chokidar awaitWriteFinish padrão', chokidarDefaultDetector, pkcs12Like, 8);
  console.log(`  razão referência / padrão: ${(baseline / Math.max(ours, 0.1)).toFixed(0)}x mais lento sem o desenho do catálogo`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().catch((error: unknown) => {
    console.error('Falha no benchmark da pasta chaves:', error);
    process.exitCode = 1;
  });
}
