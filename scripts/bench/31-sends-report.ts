/**
 * The RNDS error report of a month with 100 000 refusals, through the real route `GET /rnds/api/envios/relatorio-erros.csv`
 * of a real server in a child process (scripts/bench/baseline/sends-server.ts: the module in Express, --expose-gc,
 * sampling its own memory). Goal: ≤ 3 s, streamed (the first byte long before the last), server memory growth ≤ 20 MB.
 * Beside it, in the same run:
 * - the same number of bytes written by the same server with no reading and no formatting (`/bench/bytes`): what
 *   HTTP and the socket cost here;
 * - the same rows read with one SELECT into memory in this process (what paging avoids holding);
 * - the report with `mascarar=1`;
 * - the retention run over 100 000 expired sends (their rows deleted and their records' diagnostics cleared), with
 *   and without `PRAGMA secure_delete` (what overwriting freed pages costs).
 * The store is filled by SQL (100 000 report calls would measure the reporting, 30-sends.ts does that): the refusals
 * of last month, as many delivered records in the same month and refusals in the month before (the query must skip
 * them), so the file holds 300 000 records. `npm run bench -- sends-report`; `--quick`: 20 000 refusals.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../module/sends/database.js';
import { createSends, SENDS_FILE } from '../../module/sends/index.js';
import { type BenchSection, median, printTable } from './lib.js';

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const REFUSALS = quick ? 20_000 : 100_000;
const ROUNDS = quick ? 2 : 3;
const TOKEN = randomBytes(24).toString('base64url');
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const s = (msValue: number): string => `${(msValue / 1000).toFixed(2)} s`;

/** The first and the last day of the month before `now` (UTC dates are enough: the period is whole days). */
function lastMonth(now: Date): { de: string; ate: string; from: number; days: number } {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  return { de: first.toISOString().slice(0, 10), ate: last.toISOString().slice(0, 10), from: first.getTime() + 12 * 3_600_000, days: last.getUTCDate() };
}

/**
 * `count` records from `from`, spread evenly over `spanMs`: each a send row and its record row (the counters follow by
 * trigger). `refused`: DADOS_INVALIDOS with RNDS's text naming a CNS; otherwise ENVIADO.
 */
function fillSql(prefix: string, count: number, from: number, spanMs: number, refused: boolean): string {
  const status = refused ? "'DADOS_INVALIDOS'" : "'ENVIADO'";
  const codes = refused ? `'["EHR-ERR983"]'` : "'[]'";
  const message = refused ? "'(EHR-ERR983) Paciente não encontrado: Patient/7' || printf('%014d', i)" : 'NULL';
  const step = Math.max(1, Math.floor(spanMs / count));
  return `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1})
    INSERT INTO sends (model, record_id, at, at_text, status, direct, http_status, codes, message)
    SELECT CASE i % 4 WHEN 0 THEN 'RIA-C' WHEN 1 THEN 'RIA-R' WHEN 2 THEN 'RAC' ELSE 'RPM' END, '${prefix}-' || i, ${from} + i * ${step}, '',
      ${status}, 1, ${refused ? 422 : 201}, ${codes}, ${message} FROM n;
    INSERT INTO records (model, record_id, tab_model, at, at_text, status, sent, codes, message)
    SELECT model, record_id, CASE WHEN model LIKE 'RIA%' THEN 'RIA' ELSE model END, at, at_text, status, status = 'ENVIADO', codes, message
    FROM sends WHERE record_id LIKE '${prefix}-%';`;
}

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

function startServer(dataDir: string, chavesDir: string): Promise<{ child: ChildProcess; port: number }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'baseline', `sends-server${path.extname(fileURLToPath(import.meta.url))}`);
  const child = fork(script, [], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, BENCH_DATA_DIR: dataDir, BENCH_CHAVES_DIR: chavesDir, BENCH_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`o servidor do bench terminou (código ${code})`)));
  });
}

function ask(child: ChildProcess, cmd: 'mark' | 'peak'): Promise<{ mark: Memory; peak?: Memory }> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message as { mark: Memory; peak?: Memory }));
    child.send({ cmd });
  });
}

interface Download {
  totalMs: number;
  firstByteMs: number;
  bytes: number;
  lines: number;
  growth: Memory;
}

/** One GET, read to the end; the server's memory marked before and its peak read after. */
async function download(child: ChildProcess, url: string): Promise<Download> {
  await ask(child, 'mark');
  const started = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  let firstByteMs = 0;
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (bytes === 0) firstByteMs = performance.now() - started;
    bytes += chunk.length;
    for (const byte of chunk) if (byte === 10) lines++;
  }
  const totalMs = performance.now() - started;
  const { mark, peak } = await ask(child, 'peak');
  return { totalMs, firstByteMs, bytes, lines, growth: { rss: peak!.rss - mark.rss, heapUsed: peak!.heapUsed - mark.heapUsed, external: peak!.external - mark.external } };
}

/** The median of each figure over the rounds (the first round, cold, kept apart by the caller). */
function medianOf(runs: Download[]): Download {
  const m = (pick: (d: Download) => number) => median(runs.map(pick));
  return {
    totalMs: m((d) => d.totalMs),
    firstByteMs: m((d) => d.firstByteMs),
    bytes: m((d) => d.bytes),
    lines: m((d) => d.lines),
    growth: { rss: m((d) => d.growth.rss), heapUsed: m((d) => d.growth.heapUsed), external: m((d) => d.growth.external) },
  };
}

async function fill(file: string, now: Date): Promise<{ month: ReturnType<typeof lastMonth>; seconds: number }> {
  const month = lastMonth(now);
  const span = (month.days - 1) * 86_400_000;
  const db = await openDatabase(file);
  const t = performance.now();
  db.exec('BEGIN IMMEDIATE');
  db.exec(fillSql('recusado', REFUSALS, month.from, span, true));
  db.exec(fillSql('enviado', REFUSALS, month.from + 1, span, false));
  db.exec(fillSql('anterior', REFUSALS, month.from - 40 * 86_400_000, span, true));
  db.exec('COMMIT');
  db.close();
  return { month, seconds: (performance.now() - t) / 1000 };
}

/** The retention over every send and record of the filled file (a copy), once the clock passed them all. */
async function retentionRun(source: string, root: string, secureDelete: boolean): Promise<{ ms: number; removed: number; cleared: number }> {
  const dataDir = path.join(root, secureDelete ? 'retencao-segura' : 'retencao');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.copyFileSync(source, path.join(dataDir, SENDS_FILE));
  const clock = { now: new Date() };
  const sends = createSends({ dataDir, retentionDays: 400, timeZone: 'America/Sao_Paulo', now: () => clock.now, enabledNotAfter: () => null, secureDelete });
  await sends.summary(); // opens it; the retention at open finds nothing expired yet
  clock.now = new Date(Date.now() + 400 * 86_400_000); // last month and the month before: both past 400 days
  const t = performance.now();
  const { removed, cleared } = await sends.prune();
  const msValue = performance.now() - t;
  await sends.close();
  return { ms: msValue, removed, cleared };
}

export const section: BenchSection = {
  title: `Relatório de erros da RNDS: um mês com ${REFUSALS.toLocaleString('pt-BR')} recusas, pela rota HTTP de um servidor real`,
  async run() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pec-rnds-bench-report-'));
    let server: { child: ChildProcess; port: number } | null = null;
    try {
      const dataDir = path.join(root, 'data');
      const chavesDir = path.join(root, 'chaves');
      fs.mkdirSync(chavesDir, { recursive: true });
      const file = path.join(dataDir, SENDS_FILE);
      const { month, seconds } = await fill(file, new Date());
      const pristine = path.join(root, 'pristine.sqlite');
      fs.copyFileSync(file, pristine);
      console.log(`${(REFUSALS * 3).toLocaleString('pt-BR')} registros preenchidos por SQL em ${seconds.toFixed(1)} s (arquivo ${mb(fs.statSync(file).size)}); período ${month.de}..${month.ate}`);

      server = await startServer(dataDir, chavesDir);
      const base = `http://127.0.0.1:${server.port}`;
      const query = `de=${month.de}&ate=${month.ate}&modelos=RIA,RAC,RPM`;
      const csvUrl = `${base}/rnds/api/envios/relatorio-erros.csv?${query}`;
      const summary = await fetch(`${base}/rnds/api/envios`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await summary.arrayBuffer(); // the store opens here: the report's figures start from an open store

      // The first report of a server pays once for what any report needs (compiled code, Intl's data, SQLite's
      // WebAssembly heap, which never shrinks): a one-day report first shows that part apart from the month's.
      const firstDay = await download(server.child, `${base}/rnds/api/envios/relatorio-erros.csv?de=${month.de}&ate=${month.de}&modelos=RIA,RAC,RPM`);
      const csvRuns: Download[] = [];
      const maskedRuns: Download[] = [];
      const bytesRuns: Download[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        csvRuns.push(await download(server.child, csvUrl));
        maskedRuns.push(await download(server.child, `${csvUrl}&mascarar=1`));
        bytesRuns.push(await download(server.child, `${base}/bench/bytes?n=${csvRuns[0]!.bytes}`));
      }
      const rows = csvRuns[0]!.lines - 7; // the header block, its blank line and the header row
      const cold = csvRuns[0]!;
      const warm = medianOf(csvRuns.slice(1).length ? csvRuns.slice(1) : csvRuns);
      const masked = medianOf(maskedRuns);
      const raw = medianOf(bytesRuns);
      const line = (name: string, d: Download, goal: string) => [
        name, s(d.totalMs), `${d.firstByteMs.toFixed(0)} ms`, String(Math.round((d.lines - 7) / (d.totalMs / 1000))), mb(d.bytes),
        mb(d.growth.rss), mb(d.growth.heapUsed), d === firstDay ? '' : `${(d.totalMs / raw.totalMs).toFixed(1)}x`, goal,
      ];
      printTable([
        ['GET …/relatorio-erros.csv (servidor filho)', 'total', '1º byte', 'linhas/s', 'bytes', 'RSS +', 'heap +', 'vs base', 'meta'],
        line(`primeiro relatório do servidor: um dia (${(firstDay.lines - 7).toLocaleString('pt-BR')} linhas)`, firstDay, ''),
        line('CSV do mês, primeira vez', cold, '≤ 3 s, ≤ 20 MB'),
        line(`CSV, mediana de ${Math.max(1, ROUNDS - 1)} seguintes`, warm, '≤ 3 s, ≤ 20 MB'),
        line('CSV com mascarar=1 (mediana)', masked, ''),
        line('base: os mesmos bytes, sem ler nem formatar', raw, ''),
      ]);
      console.log(`${rows.toLocaleString('pt-BR')} linhas de dados por relatório (esperadas ${REFUSALS.toLocaleString('pt-BR')})`);
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server!.child.once('exit', resolve));
      server = null;

      // Baseline: one SELECT of the same rows into memory, in this process.
      const db = await openDatabase(file);
      global.gc?.();
      const before = process.memoryUsage();
      const t = performance.now();
      const all = db.all(`SELECT at, model, record_id, status, codes, message FROM records WHERE sent = 0 AND tab_model IN ('RIA', 'RAC', 'RPM') AND at >= ? AND at < ? ORDER BY at DESC, model DESC, record_id DESC`, [
        Date.parse(`${month.de}T03:00:00Z`),
        Date.parse(`${month.ate}T03:00:00Z`) + 86_400_000,
      ]);
      const selectMs = performance.now() - t;
      const after = process.memoryUsage();
      db.close();
      console.log(
        `base: um SELECT das mesmas ${all.length.toLocaleString('pt-BR')} linhas para a memória, sem HTTP nem CSV: ${s(selectMs)}, RSS +${mb(after.rss - before.rss)}, heap +${mb(after.heapUsed - before.heapUsed)}` +
          ` (o relatório em páginas de 500 custa ${(warm.totalMs / selectMs).toFixed(1)}x esse tempo e não guarda as linhas)`,
      );

      const plain = await retentionRun(pristine, root, false);
      const secure = await retentionRun(pristine, root, true);
      printTable([
        ['retenção: tudo vencido (uma transação e o checkpoint)', 'tempo', 'envios apagados', 'textos apagados', 'razão'],
        ['base: PRAGMA secure_delete = OFF (páginas livres guardam o texto)', s(plain.ms), String(plain.removed), String(plain.cleared), '1.00x'],
        ['PRAGMA secure_delete = ON (o que o pec-rnds usa)', s(secure.ms), String(secure.removed), String(secure.cleared), `${(secure.ms / plain.ms).toFixed(2)}x`],
      ]);
    } finally {
      if (server) server.child.kill('SIGTERM');
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};
