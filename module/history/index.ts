/**
 * The history of the certificates (PEC's Auditoria for this module): the audit trail read for people — the latest
 * events for the screen, a period's events for the CSV. Reading only; the trail is written by state/audit.ts.
 */
import type { AuditRecord } from '../state/audit.js';
import { eventsInPeriod } from './export.js';
import { HISTORY_LIMIT, latestEvents } from './latest.js';
import type { Period } from './period.js';

export { HISTORY_LIMIT, latestEvents } from './latest.js';
export { eventsInPeriod } from './export.js';
export { linesFromEnd } from './lines-from-end.js';
export { NO_PERIOD, inPeriod, periodFromQuery, type Period, type PeriodField, type PeriodInput } from './period.js';

/** The history of one data folder, in the installation's time zone (the handlers get it in their context). */
export interface History {
  latest(period: Period): Promise<AuditRecord[]>;
  inPeriod(period: Period): AsyncGenerator<AuditRecord>;
  readonly limit: number;
  readonly timeZone: string;
  /** The module's clock (the CSV's *Gerado em*). */
  now(): Date;
}

export function createHistory(auditFile: string, timeZone: string, now: () => Date = () => new Date()): History {
  return {
    timeZone,
    now,
    latest: (period) => latestEvents(auditFile, { period, timeZone }),
    inPeriod: (period) => eventsInPeriod(auditFile, { period, timeZone }),
    limit: HISTORY_LIMIT,
  };
}
