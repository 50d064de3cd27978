/** The CSV export's events: every record of the period, newest first, one at a time (never the whole trail at once). */
import { parseAuditLine, type AuditRecord } from '../state/audit.js';
import { linesFromEnd, type LinesFromEndOptions } from './lines-from-end.js';
import { inPeriod, type Period } from './period.js';

/** The records of `period`, newest first; damaged lines skipped. Stopping the iteration closes the file. */
export async function* eventsInPeriod(
  auditFile: string,
  options: { period: Period; timeZone: string; read?: LinesFromEndOptions },
): AsyncGenerator<AuditRecord> {
  for await (const line of linesFromEnd(auditFile, options.read)) {
    const record = parseAuditLine(line);
    if (record && inPeriod(record, options.period, options.timeZone)) yield record;
  }
}
