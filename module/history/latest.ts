/** The screen's history: the latest events of the period, newest first, read from the end of the trail. */
import { parseAuditLine, type AuditRecord } from '../state/audit.js';
import { linesFromEnd, type LinesFromEndOptions } from './lines-from-end.js';
import { inPeriod, type Period } from './period.js';

/** How many events the screen shows (PEC's Auditoria pages by 50 as well). */
export const HISTORY_LIMIT = 50;

/**
 * Up to `limit` records of `period`, newest first (the order they were appended, reversed). A damaged line is skipped;
 * the reading stops as soon as the list is full, so its cost does not grow with the trail's age.
 */
export async function latestEvents(
  auditFile: string,
  options: { period: Period; timeZone: string; limit?: number; read?: LinesFromEndOptions },
): Promise<AuditRecord[]> {
  const limit = options.limit ?? HISTORY_LIMIT;
  const found: AuditRecord[] = [];
  if (limit <= 0) return found;
  for await (const line of linesFromEnd(auditFile, options.read)) {
    const record = parseAuditLine(line);
    if (!record || !inPeriod(record, options.period, options.timeZone)) continue;
    found.push(record);
    // Leaving the loop closes the file (the generator's finally).
    if (found.length >= limit) break;
  }
  return found;
}
