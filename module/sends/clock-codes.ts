/**
 * Clock refusals in the reported sends (CONTRACT.md Status: CLOCK_SKEW "or recent sends carry ERR807/808/830").
 * "Recent" is anchored on the latest direct send, not on the wall clock: the problem stands while the latest direct
 * send carries one of the codes (so it clears at the first later direct send without them, and a host that sends
 * once a day keeps seeing it until its next send), and the hour before that send gives the scale (how many of the
 * direct sends of that hour — its latest 1 000 at most — carried them). Only codes, counts and instants come out:
 * never a record or RNDS's text.
 */
import type { SendsCore } from './core.js';

/** The codes RNDS gives for a document dated against its clock (the dictionary's relógio group names them too). */
export const CLOCK_CODES = ['EHR-ERR807', 'EHR-ERR808', 'EHR-ERR830'] as const;

/** The hour before the latest direct send: the direct sends counted in ClockRefusals. */
export const CLOCK_WINDOW_MS = 60 * 60 * 1000;
/**
 * At most this many of them (the latest): read after every report while the clock is wrong, the count stays cheap on
 * a busy hour (measured: ~50 ms for 10 000 sends in the hour, a few ms for 1 000).
 */
export const CLOCK_WINDOW_SENDS = 1000;

export interface ClockRefusals {
  /** The latest direct send (it carries a clock code). */
  at: string;
  /** The first direct send of the window that carried one. */
  since: string;
  /** The clock codes seen in the window, in CLOCK_CODES order. */
  codes: string[];
  /** Direct sends of the window that carried a clock code. */
  refused: number;
  /** Direct sends of the window. */
  total: number;
}

// `codes` holds a JSON array of normalised codes (record.ts): a quoted code found in it is that code. One pass over
// the hour's rows, by the index on `at`, without parsing each row's JSON.
const HAS = CLOCK_CODES.map((code) => `instr(codes, '"${code}"') > 0`);
const CARRIES = `(${HAS.join(' OR ')})`;
const WINDOW = `SELECT COUNT(*) AS total, COALESCE(SUM(${CARRIES}), 0) AS refused, MIN(CASE WHEN ${CARRIES} THEN at END) AS since,
  ${HAS.map((has, i) => `MAX(${has}) AS c${i}`).join(', ')}
  FROM (SELECT at, codes FROM sends WHERE direct = 1 AND at > ? AND at <= ? ORDER BY at DESC LIMIT ${CLOCK_WINDOW_SENDS})`;

/** The clock refusals of the hour up to the latest direct send, or null when that send carries no clock code. */
export async function recentClockRefusals(core: SendsCore): Promise<ClockRefusals | null> {
  await core.db();
  if (core.schemaVersion === 0) return null; // read-only: a file where nothing was ever stored has no tables
  const last = core.stmt('SELECT at, codes FROM last_direct WHERE id = 1').get() as { at: number; codes: string } | null;
  if (!last) return null;
  const lastCodes = JSON.parse(last.codes) as string[];
  if (!lastCodes.some((code) => (CLOCK_CODES as readonly string[]).includes(code))) return null;
  const row = core.stmt(WINDOW).get([last.at - CLOCK_WINDOW_MS, last.at]) as Record<string, number | null>;
  const codes = CLOCK_CODES.filter((code, i) => row[`c${i}`] === 1 || lastCodes.includes(code));
  // The send rows may be gone (retention) while last_direct stays: then the latest send alone is the window.
  return {
    at: new Date(last.at).toISOString(),
    since: new Date(row.since ?? last.at).toISOString(),
    codes,
    refused: Math.max(1, Number(row.refused)),
    total: Math.max(1, Number(row.total)),
  };
}
