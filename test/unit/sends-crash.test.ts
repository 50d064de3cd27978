/**
 * Crash safety of the sends database: a real process SIGKILLed in the middle of a batch (inside its transaction,
 * with pages and a rollback journal already on disk) leaves all or none of each batch, and counters that agree with
 * the rows. Children run from dist/ (`npm test` builds it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createSends, SENDS_FILE } from '../../module/sends/index.js';
import { openDatabase } from '../../module/sends/database.js';
import { compiled, waitForLine } from '../support/spawn.js';
import { HANG_MS } from '../support/wait.js';
import { tempDir } from '../support/files.js';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

async function killedDuring(batches: number, hold: boolean, killOn: RegExp): Promise<{ dataDir: string; lines: string[] }> {
  const root = tempDir();
  roots.push(root);
  const dataDir = path.join(root, 'data');
  const child = spawn(process.execPath, [compiled('test/support/child/sends-crash.ts'), dataDir, String(batches), hold ? '1' : '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const lines: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  await waitForLine(child, killOn, HANG_MS);
  child.kill('SIGKILL');
  await exited;
  return { dataDir, lines };
}

/** Opens what the killed process left as the next start would, and checks rows against counters. */
async function consistent(dataDir: string): Promise<{ sends: number; records: number }> {
  const store = createSends({ dataDir, retentionDays: 400, timeZone: 'America/Sao_Paulo', now: () => new Date('2026-12-03T12:00:00Z'), enabledNotAfter: () => null });
  try {
    const summary = await store.summary();
    await store.loadMetrics();
    const metrics = store.metrics();
    await store.close();
    const db = await openDatabase(path.join(dataDir, SENDS_FILE));
    try {
      const sends = Number(db.get('SELECT COUNT(*) AS n FROM sends')!.n);
      const records = db.all('SELECT tab_model, COUNT(*) AS total, SUM(sent) AS sent FROM records GROUP BY tab_model') as Array<{ tab_model: string; total: number; sent: number }>;
      for (const model of summary.models) {
        const row = records.find((r) => r.tab_model === model.model) ?? { total: 0, sent: 0 };
        expect({ total: model.total, sent: model.sent }).toEqual({ total: row.total, sent: row.sent });
      }
      expect(Number(db.get("SELECT COUNT(*) AS n FROM records WHERE record_id NOT IN (SELECT record_id FROM sends)")!.n)).toBe(0);
      // The counters of /metrics (nothing pruned here): the rows by model and status, the refusals (all EHR-ERR983 →
      // cidadao), the latest direct send per model — and the store's snapshot read at start says the same.
      const byStatus = db.all('SELECT model, status, COUNT(*) AS n FROM sends GROUP BY model, status ORDER BY model, status');
      expect(db.all('SELECT model, status, count AS n FROM send_counts WHERE count > 0 ORDER BY model, status')).toEqual(byStatus);
      const refused = db.all("SELECT model, 'cidadao' AS grp, COUNT(*) AS n FROM sends WHERE status = 'DADOS_INVALIDOS' GROUP BY model ORDER BY model");
      expect(db.all('SELECT model, grp, count AS n FROM refusal_counts WHERE count > 0 ORDER BY model')).toEqual(refused);
      expect(db.all('SELECT model, at FROM last_sends ORDER BY model')).toEqual(db.all('SELECT model, MAX(at) AS at FROM sends GROUP BY model ORDER BY model'));
      const stored = Object.fromEntries((byStatus as Array<{ model: string; status: string; n: number }>).map((r) => [`${r.model} ${r.status}`, r.n]));
      const snapshot = Object.entries(metrics.sends).flatMap(([model, statuses]) => Object.entries(statuses).filter(([, n]) => n > 0).map(([status, n]) => [`${model} ${status}`, n]));
      expect(Object.fromEntries(snapshot)).toEqual(stored);
      return { sends, records: records.reduce((n, r) => n + r.total, 0) };
    } finally {
      db.close();
    }
  } finally {
    await store.close();
  }
}

describe('a SIGKILL during a batch of sends', () => {
  it('when the process is killed inside the third batch\'s transaction, then the first two are whole and the third absent', async () => {
    const { dataDir, lines } = await killedDuring(3, true, /^mid /);
    const file = path.join(dataDir, SENDS_FILE);
    // What makes this a crash mid-write: the open transaction had written frames to the log past the last commit.
    const wal = (line: string | undefined): number => Number(/wal=(\d+)/.exec(line ?? '')?.[1]);
    expect(wal(lines.find((l) => l.startsWith('mid')))).toBeGreaterThan(wal(lines.find((l) => l.startsWith('committed 1'))));
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    const after = await consistent(dataDir);
    expect(after.sends).toBe(2000);
    expect(after.records).toBe(1900); // batch 1 re-reported 100 records of batch 0
  });

  it('when processes are killed at points the kernel picks (right after a commit line), then every batch is all or none', async () => {
    for (const k of [0, 2, 4]) {
      const { dataDir } = await killedDuring(8, false, new RegExp(`^committed ${k} `));
      const after = await consistent(dataDir);
      expect(after.sends % 1000).toBe(0);
      expect(after.sends).toBeGreaterThanOrEqual((k + 1) * 1000);
    }
  });
});
