/**
 * The sends store opened for reading only (`readOnly`, what `npm run status` uses with the server down), on real
 * SQLite files: nothing created, migrated, pruned or checkpointed, and refused while another connection holds it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSends, SENDS_FILE, type Sends, type SendsDeps } from '../../module/sends/index.js';
import { tempDir } from '../support/files.js';

const opened: Sends[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

function store(dataDir: string, overrides: Partial<SendsDeps> = {}): Sends {
  const sends = createSends({ dataDir, retentionDays: 30, timeZone: 'America/Sao_Paulo', now: () => new Date('2026-12-03T12:00:00Z'), enabledNotAfter: () => null, ...overrides });
  opened.push(sends);
  return sends;
}

/** Every file of the store with a hash of its bytes (folders as such). */
function files(dataDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.existsSync(dataDir) ? fs.readdirSync(dataDir).filter((n) => n.startsWith(SENDS_FILE)).sort() : []) {
    const file = path.join(dataDir, name);
    out[name] = fs.statSync(file).isDirectory() ? 'folder' : createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

describe('the sends store, read-only', () => {
  it('when the file does not exist, then reading fails and creates neither the file nor the folder', async () => {
    const dataDir = path.join(tempDir(), 'data');

    await expect(store(dataDir, { readOnly: true }).lastDirectSend()).rejects.toThrow();

    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('when sends are past the retention, then a read-only open reads them and removes nothing (the file unchanged)', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const writer = store(dataDir);
    await writer.record({ envios: [{ at: '2026-12-03T10:00:00-03:00', model: 'RAC', recordId: 'r-1', httpStatus: 403 }] });
    await writer.close();
    const before = files(dataDir);

    // A year later: a writer would prune that send at open.
    const reader = store(dataDir, { readOnly: true, now: () => new Date('2027-12-03T12:00:00Z') });
    expect(await reader.lastDirectSend()).toEqual({ at: '2026-12-03T13:00:00.000Z', model: 'RAC', status: 'FALHA_CREDENCIAL', codes: [] });
    await reader.close();

    expect(files(dataDir)).toEqual(before);
  });

  it('when another connection holds the store, then reading fails with "database is locked" and the holder goes on writing', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const writer = store(dataDir);
    await writer.record({ envios: [{ at: '2026-12-03T10:00:00-03:00', model: 'RAC', recordId: 'r-1', httpStatus: 201 }] });

    await expect(store(dataDir, { readOnly: true }).lastDirectSend()).rejects.toThrow(/database is locked/);

    expect(await writer.record({ envios: [{ at: '2026-12-03T10:01:00-03:00', model: 'RAC', recordId: 'r-2', httpStatus: 403 }] })).toEqual({ accepted: 1, duplicates: 0 });
    expect((await writer.lastDirectSend())?.status).toBe('FALHA_CREDENCIAL');
  });
});
