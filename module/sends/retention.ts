/**
 * Retention: patient data does not outlive RNDS_SENDS_RETENTION_DAYS. Send rows older than that are removed, and a
 * record whose latest send is older loses RNDS's text (`message`, which can name a patient by CNS or CPF) — in one
 * transaction, so a crash leaves the run done or not done. The record keeps what carries no patient data and what
 * later sends need: its key (model, record_id) so that a send of the same record after the retention moves it between
 * enviado and não enviado instead of counting it twice, its `sent` (the counters' input: it is not written, so the
 * counters' trigger does not fire), its status, instant and codes (catalogue codes only, `EHR-ERR983`; normalizeCode
 * keeps nothing else). Such a record is no longer listed (errors-list.ts reads only records within the retention).
 * The database deletes with `secure_delete` on (database.ts), and the run ends with a checkpoint that truncates the
 * WAL, so the text is not left in freed pages of the file or in old frames of `sends.sqlite-wal`.
 */
import type { RetentionResult, SendsCore } from './core.js';

export type { RetentionResult } from './core.js';

export function pruneSends(core: SendsCore): RetentionResult {
  const cutoff = core.retentionCutoff();
  const result = core.transaction(() => {
    const removed = core.stmt('DELETE FROM sends WHERE at < ?').run([cutoff]).changes;
    // Only `message` is written: the records_recounted trigger watches `sent` and stays still.
    const cleared = core.stmt('UPDATE records SET message = NULL WHERE at < ? AND message IS NOT NULL').run([cutoff]).changes;
    core.stmt("INSERT INTO meta (key, value) VALUES ('retention-ran-at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run([
      new Date(core.deps.now().getTime()).toISOString(),
    ]);
    return { removed, cleared };
  });
  if (result.removed > 0 || result.cleared > 0) core.checkpoint();
  return result;
}
