/**
 * Sends reported by the host (CONTRACT.md *Sends*), kept in `<data>/sends.sqlite`: createSends composes the use
 * cases (one file each) over one SendsCore. Nothing is opened until the first call.
 */
import type { SendStatus, TabModel } from '../enums.js';
import { recentClockRefusals, type ClockRefusals } from './clock-codes.js';
import { SendsCore, type SendsDeps } from './core.js';
import { codeCounts, periodCounts, recentRefusals, sendErrors, type SendError } from './errors-list.js';
import { SendsMetricsSnapshot, type SendsMetrics } from './metrics.js';
import type { Period } from './period.js';
import { recordSends, type RecordResult } from './record.js';
import { pruneSends, type RetentionResult } from './retention.js';
import { lastDirectSend, sendsSummary, type LastDirectSend, type SendsSummary } from './summary.js';
export { lastSendOf } from './summary.js';

export type { SendsDeps } from './core.js';
export { CLOCK_CODES, CLOCK_WINDOW_MS, CLOCK_WINDOW_SENDS, type ClockRefusals } from './clock-codes.js';
export type { SendError } from './errors-list.js';
export type { RecordResult } from './record.js';
export type { SendsMetrics } from './metrics.js';
export type { RetentionResult } from './retention.js';
export type { LastDirectSend, LastSendStatus, SendsSummary } from './summary.js';
export { MAX_REPORT_BYTES, MAX_SENDS_PER_REPORT } from './inputs.js';
export { parseErrorQuery, parsePeriod, type Period } from './period.js';
export { SENDS_FILE } from './database.js';
export { deriveStatus } from './status.js';

export interface Sends {
  /** Validates and stores a report (`{"envios":[…]}`) whole or not at all. */
  record(input: unknown): Promise<RecordResult>;
  summary(period?: Period): Promise<SendsSummary>;
  lastDirectSend(): Promise<LastDirectSend | null>;
  /** The clock codes (ERR807/808/830) of the hour up to the latest direct send, when that send carries one. */
  recentClockRefusals(): Promise<ClockRefusals | null>;
  errors(query: Period & { models: TabModel[] }): AsyncIterable<SendError>;
  recentRefusals(limit: number, filter?: { model?: TabModel; status?: SendStatus }): Promise<SendError[]>;
  periodCounts(query: Period): Promise<Record<TabModel, number>>;
  codeCounts(query: Period): Promise<Array<{ code: string; count: number }>>;
  /** Runs the retention now (it also runs at open and once a day by itself): send rows removed, records' texts cleared. */
  prune(): Promise<RetentionResult>;
  /**
   * The counters of /metrics, from memory (never opens the database): zeros until loadMetrics() or the first batch,
   * then replaced after each committed batch.
   */
  metrics(): SendsMetrics;
  /** Reads the stored counters into memory (opening the database): at start, when the database exists. */
  loadMetrics(): Promise<void>;
  /** True once the database was opened (it is opened at the first call). */
  readonly opened: boolean;
  close(): Promise<void>;
}

export function createSends(deps: SendsDeps): Sends {
  const core = new SendsCore(deps, pruneSends);
  const metrics = new SendsMetricsSnapshot(core);
  return {
    record: (input) => recordSends(core, input, metrics),
    summary: (period) => sendsSummary(core, period),
    lastDirectSend: () => lastDirectSend(core),
    recentClockRefusals: () => recentClockRefusals(core),
    errors: (query) => sendErrors(core, query),
    recentRefusals: (limit, filter) => recentRefusals(core, limit, filter),
    periodCounts: (query) => periodCounts(core, query),
    codeCounts: (query) => codeCounts(core, query),
    metrics: () => metrics.current,
    loadMetrics: () => metrics.load(),
    async prune() {
      await core.db({ prune: false });
      return core.runRetention();
    },
    get opened() {
      return core.opened;
    },
    close: () => core.close(),
  };
}
