/**
 * `node dist/test/support/child/sends-crash.js <dataDir> <batches> <hold>`: reports `batches` batches of 1000 sends
 * (a third refused, so counters move both ways), printing `committed k wal=<bytes>` after each. With hold=1 it stops in the
 * middle of the last batch — inside its transaction, after half its sends, printing `mid wal=<bytes>` — and waits there to be
 * killed. A small page cache makes the batch write pages (and the rollback journal) before it commits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createSends, SENDS_FILE } from '../../../module/sends/index.js';

const [dataDir, batchesText, hold] = process.argv.slice(2);
const walSize = (): number => fs.statSync(path.join(dataDir!, `${SENDS_FILE}-wal`), { throwIfNoEntry: false })?.size ?? 0;
const batches = Number(batchesText);
let current = 0;
const sends = createSends({
  dataDir: dataDir!,
  retentionDays: 400,
  timeZone: 'America/Sao_Paulo',
  now: () => new Date('2026-12-03T12:00:00Z'),
  enabledNotAfter: () => null,
  cacheKiB: 64,
  afterSend(index) {
    if (hold === '1' && current === batches - 1 && index === 500) {
      fs.writeSync(1, `mid wal=${walSize()}\n`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // until SIGKILL
    }
  },
});

for (current = 0; current < batches; current++) {
  const envios = Array.from({ length: 1000 }, (_, i) => ({
    at: new Date(Date.parse('2026-12-03T10:00:00Z') + current * 1000 + i).toISOString(),
    model: (['RIA-C', 'RIA-R', 'RAC', 'RPM'] as const)[i % 4],
    // Every batch also re-reports 100 records of the one before: latest-state updates, not only new rows.
    recordId: i < 100 && current > 0 ? `b${current - 1}-${i}` : `b${current}-${i}`,
    httpStatus: i % 3 === 0 ? 422 : 201,
    ...(i % 3 === 0 ? { operationOutcome: { issue: [{ diagnostics: `(EHR-ERR983) Paciente não encontrado ${'x'.repeat(200)}` }] } } : {}),
  }));
  await sends.record({ envios });
  fs.writeSync(1, `committed ${current} wal=${walSize()}\n`);
}
await sends.close();
