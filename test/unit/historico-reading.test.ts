/** Reading the audit trail for the Histórico: from the end, bounded, damaged lines skipped, the period in the zone. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventsInPeriod, latestEvents, linesFromEnd, NO_PERIOD, periodFromQuery } from '../../module/history/index.js';
import { AuditTrail, type AuditRecord } from '../../module/state/index.js';
import { tempDir } from '../support/files.js';

const ZONE = 'America/Sao_Paulo';
let dir: string;
let file: string;
beforeEach(() => {
  dir = tempDir();
  file = path.join(dir, 'audit.jsonl');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const line = (at: string, action: AuditRecord['action'], extra: Partial<AuditRecord> = {}) =>
  JSON.stringify({ at, action, actor: 'sessão (10.0.0.7)', description: 'x', ...extra });

describe('linesFromEnd', () => {
  it('when lines cross chunk boundaries and hold multi-byte characters, then each comes back whole, last first', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `linha ${i} — ação çãõ 😀 ${'x'.repeat(i * 3)}`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);

    // 7 bytes at a time: every line and most characters are split between reads.
    const read = await collect(linesFromEnd(file, { chunkBytes: 7 }));

    expect(read.filter((l) => l !== '')).toEqual([...lines].reverse());
  });

  it('when the last line has no newline (a torn write), then it comes first as it is', async () => {
    fs.writeFileSync(file, 'primeira\nsegunda\n{"at":"20');

    expect(await collect(linesFromEnd(file, { chunkBytes: 4 }))).toEqual(['{"at":"20', 'segunda', 'primeira']);
  });

  it('when a line is longer than the limit, then it is skipped without being held and its neighbours stay', async () => {
    fs.writeFileSync(file, `antes\n${'z'.repeat(10_000)}\ndepois\n`);

    const read = await collect(linesFromEnd(file, { chunkBytes: 64, maxLineBytes: 1_000 }));

    expect(read.filter((l) => l !== '')).toEqual(['depois', 'antes']);
  });

  it('when the file does not exist, then there are no lines', async () => {
    expect(await collect(linesFromEnd(path.join(dir, 'nada.jsonl')))).toEqual([]);
  });
});

describe('latestEvents', () => {
  it('when the trail holds 20 000 records, then the latest 50 come newest first after reading only the end of the file', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => line(new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(), 'enable', { file: `f${i}.pfx` }));
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const size = fs.statSync(file).size;
    let bytesRead = 0;

    const latest = await latestEvents(file, { period: NO_PERIOD, timeZone: ZONE, read: { chunkBytes: 4096, onRead: (n) => (bytesRead += n) } });

    expect(latest).toHaveLength(50);
    expect(latest[0]!.file).toBe('f19999.pfx');
    expect(latest[49]!.file).toBe('f19950.pfx');
    // 50 records of ~130 bytes: two or three chunks, not the 2.6 MB file.
    expect(bytesRead).toBeLessThanOrEqual(3 * 4096);
    expect(size).toBeGreaterThan(200 * bytesRead);
  });

  it('when lines are damaged (torn JSON, garbage, wrong fields, a date that is not one, binary), then they are skipped and the rest is read', async () => {
    const trail = new AuditTrail(dir);
    await trail.append({ action: 'enable', actor: 'a', file: 'um.pfx', at: '2026-03-01T12:00:00.000Z' });
    fs.appendFileSync(trail.file, '{"at":"2026-03-02T12:00:00.000Z","action":"disa\n');
    fs.appendFileSync(trail.file, 'não é JSON\n');
    fs.appendFileSync(trail.file, `${JSON.stringify({ at: '2026-03-02T12:00:00.000Z', action: 'apagar-tudo', actor: 'x', description: 'x' })}\n`);
    fs.appendFileSync(trail.file, `${line('ontem', 'disable')}\n`);
    fs.appendFileSync(trail.file, Buffer.from([0xff, 0xfe, 0x00, 0x0a]));
    await trail.append({ action: 'disable', actor: 'a', file: 'um.pfx', at: '2026-03-03T12:00:00.000Z' });

    const latest = await latestEvents(trail.file, { period: NO_PERIOD, timeZone: ZONE });

    expect(latest.map((r) => [r.action, r.at])).toEqual([
      ['disable', '2026-03-03T12:00:00.000Z'],
      ['enable', '2026-03-01T12:00:00.000Z'],
    ]);
  });

  it('when a period is given, then days are those of the installation time zone, both ends included', async () => {
    fs.writeFileSync(
      file,
      [
        line('2026-02-28T02:59:00.000Z', 'enable', { file: 'a' }), // 27/02 23:59 in Brasília
        line('2026-03-01T02:30:00.000Z', 'enable', { file: 'b' }), // 28/02 23:30 in Brasília
        line('2026-03-01T03:00:00.000Z', 'enable', { file: 'c' }), // 01/03 00:00
        line('2026-03-02T02:59:00.000Z', 'enable', { file: 'd' }), // 01/03 23:59
        line('2026-03-02T03:00:00.000Z', 'enable', { file: 'e' }), // 02/03 00:00
      ].join('\n') + '\n',
    );
    const files = (records: AuditRecord[]) => records.map((r) => r.file);

    expect(files(await latestEvents(file, { period: { from: '2026-02-28', to: '2026-03-01' }, timeZone: ZONE }))).toEqual(['d', 'c', 'b']);
    expect(files(await latestEvents(file, { period: { from: '2026-03-01', to: null }, timeZone: ZONE }))).toEqual(['e', 'd', 'c']);
    expect(files(await latestEvents(file, { period: { from: null, to: '2026-02-28' }, timeZone: 'UTC' }))).toEqual(['a']);
    expect(files(await collect(eventsInPeriod(file, { period: { from: '2026-03-01', to: '2026-03-01' }, timeZone: ZONE })))).toEqual(['d', 'c']);
  });
});

describe('periodFromQuery', () => {
  it('when the dates come as the date field sends them or typed dd/mm/aaaa, then both are calendar days', () => {
    expect(periodFromQuery({ de: '2026-03-01', ate: '31/03/2026' })).toEqual({ ok: true, period: { from: '2026-03-01', to: '2026-03-31' }, values: { de: '2026-03-01', ate: '31/03/2026' } });
    expect(periodFromQuery({})).toEqual({ ok: true, period: { from: null, to: null }, values: { de: '', ate: '' } });
    expect(periodFromQuery({ de: ' ', ate: '' })).toMatchObject({ ok: true, period: { from: null, to: null } });
  });

  it('when a date is not a day or the end comes before the start, then the field gets its error in pt-BR', () => {
    expect(periodFromQuery({ de: '31/02/2026' })).toMatchObject({ ok: false, errors: { de: expect.stringContaining('dd/mm/aaaa') } });
    expect(periodFromQuery({ ate: 'ontem' })).toMatchObject({ ok: false, errors: { ate: expect.stringContaining('Data final inválida') } });
    expect(periodFromQuery({ de: ['2026-01-01'] })).toMatchObject({ ok: true, period: { from: null } });
    const reversed = periodFromQuery({ de: '2026-03-10', ate: '2026-03-01' });
    expect(reversed).toMatchObject({ ok: false, errors: { ate: expect.stringContaining('anterior à inicial') } });
  });
});
