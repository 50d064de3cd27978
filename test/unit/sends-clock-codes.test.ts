/**
 * The clock codes of the recent direct sends (module/sends/clock-codes.ts) on a real SQLite file: present while the
 * latest direct send carries ERR807/808/830, counted over the hour up to it, and the Status message made from them.
 */
import { describe, expect, it } from 'vitest';
import { explain } from '../../module/rnds/dictionary.js';
import { CLOCK_WINDOW_SENDS } from '../../module/sends/index.js';
import { clockRefusalsMessage } from '../../module/enablement/status.js';
import { openTestStore } from '../support/sends-store.js';

const store = () => openTestStore();

const outcome = (code: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `(${code}) CNS 898001160660006` }] });
let seq = 0;
const direct = (at: string, fields: Record<string, unknown>) => ({ at, model: 'RAC', recordId: `r-${++seq}`, ...fields });

describe('recent clock refusals', () => {
  it('when nothing or no clock code was reported, then there are none', async () => {
    const { sends } = store();
    expect(await sends.recentClockRefusals()).toBeNull();
    await sends.record({ envios: [direct('2026-12-03T11:00:00Z', { httpStatus: 422, operationOutcome: outcome('EHR-ERR983') })] });
    expect(await sends.recentClockRefusals()).toBeNull();
  });

  it('when the latest direct send carries ERR807, then the hour up to it is counted (earlier sends and deliveries by the centralizador left out)', async () => {
    const { sends } = store();
    await sends.record({
      envios: [
        direct('2026-12-03T09:30:00Z', { httpStatus: 422, operationOutcome: outcome('ERR808') }), // over an hour before: not counted
        direct('2026-12-03T10:15:00Z', { httpStatus: 422, operationOutcome: outcome('EHR-ERR830') }),
        direct('2026-12-03T10:20:00Z', { httpStatus: 201 }),
        direct('2026-12-03T10:25:00Z', { delivery: 'ENVIADO_CENTRALIZADOR' }), // not direct
        direct('2026-12-03T10:40:00Z', { httpStatus: 422, operationOutcome: outcome('ERR-EHR807') }),
      ],
    });
    const refusals = await sends.recentClockRefusals();
    expect(refusals).toEqual({ at: '2026-12-03T10:40:00.000Z', since: '2026-12-03T10:15:00.000Z', codes: ['EHR-ERR807', 'EHR-ERR830'], refused: 2, total: 3 });
    const message = clockRefusalsMessage(refusals!, 'America/Sao_Paulo');
    expect(message).toContain('2 de 3 envios diretos entre 03/12/2026 07:15 e 03/12/2026 07:40');
    expect(message).toContain(`EHR-ERR807: ${explain('EHR-ERR807').title}`);
    expect(message).toContain('timedatectl set-ntp true');
    expect(message).toContain('w32tm /resync');
    expect(message).not.toMatch(/\d{5,}/);
  });

  it('when a later direct send carries no clock code, then there are none; a single refused send reads as one', async () => {
    const { sends } = store();
    await sends.record({ envios: [direct('2026-12-03T10:40:00Z', { httpStatus: 422, operationOutcome: outcome('EHR-ERR807') })] });
    const one = await sends.recentClockRefusals();
    expect(one).toMatchObject({ refused: 1, total: 1 });
    expect(clockRefusalsMessage(one!, 'America/Sao_Paulo')).toContain('o envio direto de 03/12/2026 07:40');
    await sends.record({ envios: [direct('2026-12-03T10:41:00Z', { httpStatus: 422, operationOutcome: outcome('EHR-ERR983') })] });
    expect(await sends.recentClockRefusals()).toBeNull();
  });

  it('when the hour holds more direct sends than CLOCK_WINDOW_SENDS, then only the latest of them are counted', async () => {
    const { sends } = store();
    const start = Date.parse('2026-12-03T10:00:00Z');
    const batch = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => direct(new Date(start + (from + i) * 1000).toISOString(), { httpStatus: 422, operationOutcome: outcome('EHR-ERR808') }));
    await sends.record({ envios: batch(0, 1000) });
    await sends.record({ envios: batch(1000, 10) });
    expect(await sends.recentClockRefusals()).toMatchObject({ refused: CLOCK_WINDOW_SENDS, total: CLOCK_WINDOW_SENDS, since: new Date(start + 10_000).toISOString() });
  });

  it('when the send rows aged out (retention) but the last direct send is kept, then the latest send alone is the window', async () => {
    const { sends, clock } = store();
    await sends.record({
      envios: [
        direct('2026-12-03T10:30:00Z', { httpStatus: 422, operationOutcome: outcome('EHR-ERR807') }),
        direct('2026-12-03T10:40:00Z', { httpStatus: 422, operationOutcome: outcome('EHR-ERR807') }),
      ],
    });
    expect(await sends.recentClockRefusals()).toMatchObject({ refused: 2, total: 2 });
    clock.now = new Date('2028-03-01T12:00:00Z');
    await sends.prune(); // (it may already have run at the first call after the clock moved)
    expect(await sends.recentClockRefusals()).toEqual({ at: '2026-12-03T10:40:00.000Z', since: '2026-12-03T10:40:00.000Z', codes: ['EHR-ERR807'], refused: 1, total: 1 });
  });
});
