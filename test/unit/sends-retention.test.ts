/**
 * Retention of patient data in the sends store (module/sends/retention.ts), on a real SQLite file with an injected
 * clock: past RNDS_SENDS_RETENTION_DAYS, RNDS's text naming a patient is gone from the database file's bytes (and its
 * WAL), the counters stay, and the record is no longer listed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSends, SENDS_FILE, type Sends, type SendsDeps } from '../../module/sends/index.js';
import { openDatabase } from '../../module/sends/database.js';
import { tempDir } from '../support/files.js';

const CNS = '700123456789012';
const outcome = (diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics }] });

const opened: Sends[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

function store(dataDir: string, clock: { now: Date }, overrides: Partial<SendsDeps> = {}): Sends {
  const sends = createSends({ dataDir, retentionDays: 10, timeZone: 'America/Sao_Paulo', now: () => clock.now, enabledNotAfter: () => '2027-06-30T23:59:59.000Z', ...overrides });
  opened.push(sends);
  return sends;
}

/** The bytes of the database and of its WAL (when there is one), as the disk holds them. */
function diskBytes(dataDir: string): Buffer {
  const file = path.join(dataDir, SENDS_FILE);
  const wal = `${file}-wal`;
  return Buffer.concat([fs.readFileSync(file), fs.existsSync(wal) ? fs.readFileSync(wal) : Buffer.alloc(0)]);
}

async function list(sends: Sends, de: string, ate: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of sends.errors({ de, ate, models: ['RIA', 'RAC', 'RPM'] })) ids.push(e.recordId);
  return ids;
}

describe('retention clears what can name a patient', () => {
  it('when a refused record\'s text names a CNS and the retention passes, then the digits are gone from the file and its WAL, the counters stay and no list shows it', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const clock = { now: new Date('2026-12-03T12:00:00Z') };
    const first = store(dataDir, clock);
    await first.record({
      envios: [
        { at: '2026-12-01T10:00:00Z', model: 'RIA-R', recordId: 'vacina-1', httpStatus: 422, operationOutcome: outcome(`(EHR-ERR983) Paciente não encontrado: Patient/${CNS}`) },
        { at: '2026-12-01T10:05:00Z', model: 'RAC', recordId: 'atendimento-1', failure: 'no-connection', detail: `ETIMEDOUT ao enviar o CNS ${CNS}` },
        { at: '2026-12-02T10:00:00Z', model: 'RAC', recordId: 'atendimento-2', httpStatus: 201 },
      ],
    });
    const counted = (await first.summary()).models;
    expect(counted).toEqual([
      { model: 'RIA', total: 1, sent: 0, notSent: 1 },
      { model: 'RAC', total: 2, sent: 1, notSent: 1 },
      { model: 'RPM', total: 0, sent: 0, notSent: 0 },
    ]);
    expect(await list(first, '2026-12-01', '2026-12-03')).toEqual(['atendimento-1', 'vacina-1']);
    await first.close(); // the WAL goes into the file: the text is there, so the check below can fail
    expect(diskBytes(dataDir).includes(CNS)).toBe(true);

    clock.now = new Date('2026-12-12T12:00:00Z'); // 11 days after the refusals, 10 after the delivery
    const later = store(dataDir, clock);
    expect(await list(later, '2026-12-01', '2026-12-03')).toEqual([]); // the retention ran at open
    expect(await later.periodCounts({ de: '2026-12-01', ate: '2026-12-03' })).toEqual({ RIA: 0, RAC: 0, RPM: 0 });
    expect(await later.recentRefusals(20)).toEqual([]);
    expect((await later.summary()).models).toEqual(counted);
    expect(diskBytes(dataDir).includes(CNS)).toBe(false); // before close: the retention's own checkpoint
    await later.close();
    expect(diskBytes(dataDir).includes(CNS)).toBe(false);

    const db = await openDatabase(path.join(dataDir, SENDS_FILE));
    try {
      expect(db.all('SELECT model, record_id, status, sent, codes, message FROM records ORDER BY record_id')).toEqual([
        { model: 'RAC', record_id: 'atendimento-1', status: 'SEM_CONEXAO', sent: 0, codes: '[]', message: null },
        { model: 'RAC', record_id: 'atendimento-2', status: 'ENVIADO', sent: 1, codes: '[]', message: null },
        { model: 'RIA-R', record_id: 'vacina-1', status: 'DADOS_INVALIDOS', sent: 0, codes: '["EHR-ERR983"]', message: null },
      ]);
      expect(db.all('SELECT record_id FROM sends')).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('when a record cleared by the retention is sent again, then it moves between the counters instead of counting twice', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const clock = { now: new Date('2026-12-03T12:00:00Z') };
    const sends = store(dataDir, clock);
    await sends.record({ envios: [{ at: '2026-12-01T10:00:00Z', model: 'RPM', recordId: 'receita-1', httpStatus: 422, operationOutcome: outcome(`(EHR-ERR983) CNS ${CNS}`) }] });
    clock.now = new Date('2026-12-20T12:00:00Z');
    expect(await sends.prune()).toEqual({ removed: 1, cleared: 1 });
    expect((await sends.summary()).models[2]).toEqual({ model: 'RPM', total: 1, sent: 0, notSent: 1 });
    expect(await sends.record({ envios: [{ at: '2026-12-20T10:00:00Z', model: 'RPM', recordId: 'receita-1', delivery: 'ENVIADO_CENTRALIZADOR' }] })).toEqual({ accepted: 1, duplicates: 0 });
    expect((await sends.summary()).models[2]).toEqual({ model: 'RPM', total: 1, sent: 1, notSent: 0 });
    expect(await sends.prune()).toEqual({ removed: 0, cleared: 0 });
  });

  it('when a record\'s latest send is within the retention, then its text stays though its older sends go', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const clock = { now: new Date('2026-12-03T12:00:00Z') };
    const sends = store(dataDir, clock);
    await sends.record({
      envios: [
        { at: '2026-11-20T10:00:00Z', model: 'RAC', recordId: 'atendimento-9', failure: 'no-connection' },
        { at: '2026-12-02T10:00:00Z', model: 'RAC', recordId: 'atendimento-9', httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) Paciente não encontrado') },
      ],
    });
    expect(await sends.prune()).toEqual({ removed: 1, cleared: 0 });
    const errors = [];
    for await (const e of sends.errors({ de: '2026-12-02', ate: '2026-12-02', models: ['RAC'] })) errors.push(e);
    expect(errors).toMatchObject([{ recordId: 'atendimento-9', message: '(EHR-ERR983) Paciente não encontrado' }]);
  });
});
