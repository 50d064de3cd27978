/**
 * The Histórico's reading cost as the audit trail grows (issue 21 §5): the latest 50 events read from the end of the
 * file, against AuditTrail.read(50), which reads the whole file (the baseline, same run); and the CSV of every event,
 * streamed, with the memory it took against the file's size. `npm run bench -- historico`; `--quick` for a small trail.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventsInPeriod, latestEvents, NO_PERIOD } from '../../module/history/index.js';
import { historyCsv } from '../../module/present/history.js';
import { AuditTrail } from '../../module/state/index.js';
import { type BenchSection, medianMsAsync, ms, printTable } from './lib.js';

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const SIZES = quick ? [1_000, 20_000] : [1_000, 100_000, 500_000];
const ZONE = 'America/Sao_Paulo';

/** A trail of `count` records, one a minute, the actions in turn. */
function trailText(count: number): string {
  const actions = ['enable-failed', 'enable', 'disable', 'contra-chave'] as const;
  const start = Date.UTC(2020, 0, 1);
  let text = '';
  for (let i = 0; i < count; i++) {
    const action = actions[i % actions.length]!;
    text += `${JSON.stringify({ at: new Date(start + i * 60_000).toISOString(), action, actor: 'sessão (10.0.0.7)', file: `municipio-${i}.pfx`, ...(action === 'enable-failed' ? { code: 'WRONG_PASSWORD' } : { identificadorSolicitante: '3167' }), description: 'Habilitar o PEC a acessar RNDS' })}\n`;
  }
  return text;
}

export const section: BenchSection = {
  title: 'Histórico: the latest 50 and the CSV as the audit trail grows',
  async run() {
    const dir = await mkdtemp(path.join(tmpdir(), 'pec-rnds-bench-historico-'));
    try {
      const rows = [['records', 'file', 'latest 50 (from the end)', 'read(50) (whole file)', 'CSV of all', 'CSV bytes', 'heap growth during CSV']];
      for (const count of SIZES) {
        const text = trailText(count);
        const file = path.join(dir, 'audit.jsonl');
        await writeFile(file, text);
        const trail = new AuditTrail(dir);
        const latest = await medianMsAsync(() => latestEvents(file, { period: NO_PERIOD, timeZone: ZONE }), quick ? 5 : 20);
        const whole = await medianMsAsync(() => trail.read(50), count > 100_000 ? 3 : quick ? 3 : 10);
        global.gc?.();
        const heapBefore = process.memoryUsage().heapUsed;
        let peak = heapBefore;
        let bytes = 0;
        const start = performance.now();
        for await (const chunk of historyCsv(eventsInPeriod(file, { period: NO_PERIOD, timeZone: ZONE }), { period: NO_PERIOD, generatedAt: new Date(), by: 'bench', timeZone: ZONE })) {
          bytes += Buffer.byteLength(chunk);
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }
        const csvMs = performance.now() - start;
        rows.push([String(count), `${(text.length / 1e6).toFixed(1)} MB`, ms(latest), ms(whole), ms(csvMs), `${(bytes / 1e6).toFixed(1)} MB`, `${((peak - heapBefore) / 1e6).toFixed(1)} MB`]);
      }
      printTable(rows);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
