/**
 * Benchmark section: how long after a writer closes a certificate file the catalogue announces it as `ready`
 * (observed through the `change` event), in the default (notification) mode and in polling mode.
 * Run alone: `npx tsx scripts/bench/chaves-latency.ts`; or through scripts/bench.ts, which calls run().
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

async function measure(label: string, options: Omit<ChavesCatalogueOptions, 'dir'>, content: () => Buffer): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'bench-chaves-'));
  const dir = join(base, 'chaves');
  await mkdir(dir);
  const catalogue = new ChavesCatalogue({ dir, ...options });
  const latencies: number[] = [];
  try {
    await catalogue.start();
    for (let i = 0; i < DROPS; i++) {
      const file = `medida-${i}.pfx`;
      const bytes = content();
      let readyAt = 0;
      const seen = new Promise<void>((done) => {
        const onChange = (): void => {
          if (catalogue.get(file)?.status !== 'ready') return;
          readyAt = performance.now();
          catalogue.off('change', onChange);
          done();
        };
        catalogue.on('change', onChange);
      });
      await writeFile(join(dir, file), bytes); // open, write, close: like cp
      const closedAt = performance.now();
      await seen;
      // The entry may be announced before close() returns (the last write already made it whole).
      latencies.push(Math.max(0, readyAt - closedAt));
      // Random spacing, so drops do not line up with the poll ticks.
      await new Promise((r) => setTimeout(r, 30 + Math.random() * 500));
    }
  } finally {
    await catalogue.close();
    await rm(base, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  const fmt = (ms: number): string => `${ms.toFixed(1).padStart(6)} ms`;
  console.log(
    `  ${label.padEnd(44)} mediana ${fmt(percentile(latencies, 50))}  p95 ${fmt(percentile(latencies, 95))}` +
      `  máx ${fmt(latencies[latencies.length - 1]!)}  (${latencies.length} arquivos)`,
  );
}

/** Prints the detection latency figures (writer closes the file → entry `ready` announced). */
export async function run(): Promise<void> {
  console.log('Pasta chaves — do fechamento do arquivo até "ready" (evento change):');
  await measure('padrão (notificações do sistema)', {}, pkcs12Like);
  await measure('padrão, arquivo sem tamanho DER (PEM)', {}, pemLike);
  await measure('polling, intervalo 500 ms (padrão)', { polling: true }, pkcs12Like);
  await measure('polling, intervalo 100 ms', { polling: true, pollIntervalMs: 100 }, pkcs12Like);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().catch((error: unknown) => {
    console.error('Falha no benchmark da pasta chaves:', error);
    process.exitCode = 1;
  });
}
