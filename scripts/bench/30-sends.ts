/**
 * Sends reported by the host (module/sends/), on a real database file in a temp data folder:
 * - reporting in batches of 1 000 through the use case (validation, status, duplicates, latest state, counters, one
 *   transaction per batch), beside the baseline of the same rows as plain INSERTs in one transaction on the same
 *   binding (what SQLite itself costs here). Goal ≥ 5 000 sends/s.
 * - the summary with 1 000 000 stored sends (counters kept on write), beside counting the records on read (the
 *   baseline it avoids). Goal p95 ≤ 10 ms.
 * - resident memory before and after the first use: what the idle server does not pay (the store opens at first use).
 * `--quick`: 100 000 stored sends and fewer batches (a smoke run, not figures).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSends, SENDS_FILE } from '../../module/sends/index.js';
import { openDatabase } from '../../module/sends/database.js';
import { type BenchSection, median, printTable } from './lib.js';

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const STORED = quick ? 100_000 : 1_000_000;
const BATCHES = quick ? 5 : 30;
const MODELS = ['RIA-C', 'RIA-R', 'RAC', 'RPM'] as const;

function batch(n: number) {
  return {
    envios: Array.from({ length: 1000 }, (_, i) => ({
      at: new Date(Date.parse('2026-12-03T10:00:00Z') + n * 1000 + i).toISOString(),
      model: MODELS[i % 4]!,
      recordId: `bench-${n}-${i}`,
      httpStatus: i % 10 === 0 ? 422 : 201,
      ...(i % 10 === 0 ? { operationOutcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: '(EHR-ERR983) Paciente não encontrado: Patient/01100126660' }] } } : {}),
    })),
  };
}

const p95 = (samples: number[]): number => [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor(samples.length * 0.95))]!;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export const section: BenchSection = {
  title: 'Envios informados pelo host: lotes de 1 000 e o resumo com 1 000 000 de envios guardados',
  async run() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pec-rnds-bench-sends-'));
    try {
      const now = () => new Date('2026-12-03T12:00:00Z');
      const deps = { retentionDays: 400, timeZone: 'America/Sao_Paulo', now, enabledNotAfter: () => '2027-06-30T23:59:59Z' };

      // Memory: the first use loads the WebAssembly SQLite; the idle server never does.
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      const sends = createSends({ dataDir: path.join(root, 'uso'), ...deps });
      await sends.summary();
      const rssAfter = process.memoryUsage().rss;

      // Reporting: the use case, batch after batch (each its own transaction).
      const reportMs: number[] = [];
      for (let n = 0; n < BATCHES; n++) {
        const body = batch(n);
        const t = performance.now();
        await sends.record(body);
        reportMs.push(performance.now() - t);
      }
      await sends.close();

      // Baseline: the same rows as plain INSERTs, one transaction per 1 000, on the same binding and settings.
      const raw = await openDatabase(path.join(root, 'base', SENDS_FILE));
      const insert = raw.prepare('INSERT INTO sends (model, record_id, at, at_text, status, direct, http_status, codes) VALUES (?, ?, ?, ?, ?, 1, ?, ?)');
      const baseMs: number[] = [];
      for (let n = 0; n < BATCHES; n++) {
        const body = batch(n);
        const t = performance.now();
        raw.exec('BEGIN IMMEDIATE');
        for (const s of body.envios) insert.run([s.model, s.recordId, Date.parse(s.at), s.at, s.httpStatus === 201 ? 'ENVIADO' : 'DADOS_INVALIDOS', s.httpStatus, '[]']);
        raw.exec('COMMIT');
        baseMs.push(performance.now() - t);
      }
      insert.finalize();
      raw.close();

      const perSecond = (samples: number[]) => Math.round(1000 / (median(samples) / 1000));
      printTable([
        ['lotes de 1 000', 'mediana por lote', 'envios/s', 'meta'],
        ['sends.record (validação, status, duplicados, contadores)', `${median(reportMs).toFixed(1)} ms`, String(perSecond(reportMs)), '≥ 5 000/s'],
        ['base: INSERT simples na mesma transação', `${median(baseMs).toFixed(1)} ms`, String(perSecond(baseMs)), ''],
      ]);
      console.log(`razão uso/base: ${(median(reportMs) / median(baseMs)).toFixed(2)}x`);

      // The summary with STORED sends: filled by SQL (a million report calls would take minutes), the counters follow by
      // trigger, as they do for record().
      const bigDir = path.join(root, 'grande');
      const big = await openDatabase(path.join(bigDir, SENDS_FILE));
      const fill = performance.now();
      big.exec('BEGIN IMMEDIATE');
      big.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${STORED - 1})
        INSERT INTO sends (model, record_id, at, at_text, status, direct, http_status, codes)
        SELECT CASE i % 4 WHEN 0 THEN 'RIA-C' WHEN 1 THEN 'RIA-R' WHEN 2 THEN 'RAC' ELSE 'RPM' END, 'r' || i, 1796000000000 + i * 1000, '', CASE WHEN i % 10 = 0 THEN 'DADOS_INVALIDOS' ELSE 'ENVIADO' END, 1, CASE WHEN i % 10 = 0 THEN 422 ELSE 201 END, '[]' FROM n`);
      big.exec(`INSERT INTO records (model, record_id, tab_model, at, at_text, status, sent, codes, message)
        SELECT model, record_id, CASE WHEN model LIKE 'RIA%' THEN 'RIA' ELSE model END, at, at_text, status, status = 'ENVIADO', codes, NULL FROM sends`);
      big.exec("INSERT INTO last_direct (id, at, at_text, model, status, codes) SELECT 1, at, at_text, model, status, codes FROM sends ORDER BY at DESC LIMIT 1");
      big.exec('COMMIT');
      const fillS = (performance.now() - fill) / 1000;
      const countOnRead = big.prepare('SELECT tab_model, COUNT(*) AS total, SUM(sent) AS sent FROM records GROUP BY tab_model');
      const countMs: number[] = [];
      for (let k = 0; k < 5; k++) {
        const t = performance.now();
        countOnRead.all();
        countMs.push(performance.now() - t);
      }
      countOnRead.finalize();
      big.close();

      const store = createSends({ dataDir: bigDir, ...deps });
      await store.summary();
      const summaryMs: number[] = [];
      for (let k = 0; k < 500; k++) {
        const t = performance.now();
        await store.summary();
        summaryMs.push(performance.now() - t);
      }
      const file = fs.statSync(path.join(bigDir, SENDS_FILE)).size;
      await store.close();
      console.log(`\n${STORED.toLocaleString('pt-BR')} envios guardados (preenchidos por SQL em ${fillS.toFixed(1)} s; arquivo ${mb(file)})`);
      printTable([
        ['resumo (GET /api/envios)', 'mediana', 'p95', 'meta'],
        ['sends.summary (contadores mantidos na escrita)', `${median(summaryMs).toFixed(3)} ms`, `${p95(summaryMs).toFixed(3)} ms`, 'p95 ≤ 10 ms'],
        ['base: contar os registros na leitura (GROUP BY)', `${median(countMs).toFixed(1)} ms`, `${p95(countMs).toFixed(1)} ms`, ''],
      ]);
      console.log(`\nmemória residente: ${mb(rssBefore)} antes do primeiro uso, ${mb(rssAfter)} depois (o servidor ocioso não abre o banco)`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};
