/**
 * Retention: send rows older than RNDS_SENDS_RETENTION_DAYS are removed. The records' latest state and the counters
 * stay (a record's count does not drop because its sends aged out), as does the last direct send.
 */
import { DAY_MS, type SendsCore } from './core.js';

/** Rows removed per statement: a long prune does not hold the write lock in one piece. */
const CHUNK = 5000;

export function pruneSends(core: SendsCore): number {
  const cutoff = core.deps.now().getTime() - core.deps.retentionDays * DAY_MS;
  const remove = core.stmt('DELETE FROM sends WHERE id IN (SELECT id FROM sends WHERE at < ? ORDER BY at LIMIT ?)');
  let removed = 0;
  for (;;) {
    const { changes } = core.transaction(() => remove.run([cutoff, CHUNK]));
    removed += changes;
    if (changes < CHUNK) break;
  }
  core.stmt("INSERT INTO meta (key, value) VALUES ('retention-ran-at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run([
    new Date(core.deps.now().getTime()).toISOString(),
  ]);
  return removed;
}
