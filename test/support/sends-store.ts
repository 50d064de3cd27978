/**
 * A sends store for the unit tests: a fresh data folder, an injected clock (3 December 2026, noon UTC), an enabled
 * certificate until mid-2027 unless overridden — every store opened here is closed after each test.
 */
import path from 'node:path';
import { afterEach } from 'vitest';
import { createSends, type Sends, type SendsDeps } from '../../module/sends/index.js';
import { tempDir } from './files.js';

const opened: Sends[] = [];
afterEach(async () => {
  for (const sends of opened.splice(0)) await sends.close();
});

export interface TestStore {
  sends: Sends;
  dataDir: string;
  /** Move `clock.now` to move the store's time. */
  clock: { now: Date };
}

export function openTestStore(overrides: Partial<SendsDeps> = {}): TestStore {
  const dataDir = overrides.dataDir ?? path.join(tempDir(), 'data');
  const clock = { now: new Date('2026-12-03T12:00:00Z') };
  const sends = createSends({
    dataDir,
    retentionDays: 400,
    timeZone: 'America/Sao_Paulo',
    now: () => clock.now,
    enabledNotAfter: () => '2027-06-30T23:59:59.000Z',
    ...overrides,
  });
  opened.push(sends);
  return { sends, dataDir, clock };
}

/** An OperationOutcome as RNDS answers it, one issue per diagnostics text (`(EHR-ERR983) Paciente não encontrado…`). */
export const outcome = (...diagnostics: string[]) => ({
  resourceType: 'OperationOutcome',
  issue: diagnostics.map((d) => ({ severity: 'error', code: 'processing', diagnostics: d })),
});
