/** The report's fast date formatting (present/sends-report.ts) against formatDateTime, across offset changes. */
import { describe, expect, it } from 'vitest';
import { formatDateTime } from '../../../module/present/dates.js';
import { dateTimeFormatter } from '../../../module/present/sends-report.js';

describe('the error report\'s dates', () => {
  it('when instants cross a daylight-saving change or a zone\'s odd offset, then each line shows what formatDateTime shows', () => {
    // São Paulo left and entered daylight saving time in 2018/2019; Noronha is UTC-2; Kathmandu +5:45; Lord Howe +10:30/+11.
    const spans: Array<[string, string]> = [
      ['America/Sao_Paulo', '2018-11-03T20:00:00Z'],
      ['America/Sao_Paulo', '2019-02-16T20:00:00Z'],
      ['America/Noronha', '2026-12-03T10:00:00Z'],
      ['Asia/Kathmandu', '2026-12-03T10:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T12:00:00Z'],
    ];
    for (const [zone, start] of spans) {
      const format = dateTimeFormatter(zone);
      // Newest first, as the report reads them, every 7 minutes and 13 seconds over 10 hours.
      for (let ms = Date.parse(start) + 36_000_000; ms >= Date.parse(start); ms -= 433_000) {
        const iso = new Date(ms).toISOString();
        expect(format(iso), `${zone} ${iso}`).toBe(formatDateTime(iso, zone));
      }
    }
  });
});
