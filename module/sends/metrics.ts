/**
 * The numbers `/metrics` shows about the sends (CONTRACT.md *Metrics*): sends per model and status, refusals per model
 * and dictionary group, the latest direct send per model and the latest delivered one. They are kept in the database
 * (migration 2) inside each batch's transaction — so a crash keeps them in step with the rows, and neither a restart
 * nor the retention lowers them — and held in memory as a snapshot: a scrape reads only that (never SQLite), the
 * snapshot is replaced after each committed batch and read at start when the database exists.
 */
import { RNDS_ERROR_GROUPS, SEND_MODELS, SEND_STATUSES, recordOf, type RndsErrorGroup, type SendModel, type SendStatus } from '../enums.js';
import type { SendsCore } from './core.js';
import { refusalGroup } from './status.js';

export interface SendsMetrics {
  /** Accepted (non-duplicate) sends since the first report, every model × status (0 when none). */
  sends: Record<SendModel, Record<SendStatus, number>>;
  /** Sends not delivered, by who resolves them, every model × group (0 when none). */
  refusals: Record<SendModel, Record<RndsErrorGroup, number>>;
  /** The latest `at` (ms) of a direct send (httpStatus or failure), per model; absent for a model never reported. */
  lastSendAt: Partial<Record<SendModel, number>>;
  /** The latest `at` (ms) of a direct send whose status is ENVIADO; null before the first. */
  lastDeliveredAt: number | null;
}

export function emptySendsMetrics(): SendsMetrics {
  return {
    sends: recordOf(SEND_MODELS, () => recordOf(SEND_STATUSES, () => 0)),
    refusals: recordOf(SEND_MODELS, () => recordOf(RNDS_ERROR_GROUPS, () => 0)),
    lastSendAt: {},
    lastDeliveredAt: null,
  };
}

/** One accepted send of a batch, as the counters need it. */
export interface CountedSend {
  model: SendModel;
  status: SendStatus;
  codes: readonly string[];
  direct: boolean;
  atMs: number;
}

const ADD_SENDS = 'INSERT INTO send_counts (model, status, count) VALUES (?, ?, ?) ON CONFLICT (model, status) DO UPDATE SET count = count + excluded.count';
const ADD_REFUSALS = 'INSERT INTO refusal_counts (model, grp, count) VALUES (?, ?, ?) ON CONFLICT (model, grp) DO UPDATE SET count = count + excluded.count';
const SET_LAST = `INSERT INTO last_sends (model, at, delivered_at) VALUES (?, ?, ?) ON CONFLICT (model) DO UPDATE SET at = MAX(last_sends.at, excluded.at),
  delivered_at = COALESCE(MAX(last_sends.delivered_at, excluded.delivered_at), last_sends.delivered_at, excluded.delivered_at)`;

/**
 * Adds a batch's accepted sends to the counters. Call it inside the batch's transaction: a few statements per batch
 * (one per model × status, model × group and model touched), not per send. Returns the counters as they are once the
 * transaction commits.
 */
export function countSends(core: SendsCore, sends: readonly CountedSend[]): SendsMetrics {
  const bySend = new Map<string, [SendModel, SendStatus, number]>();
  const byGroup = new Map<string, [SendModel, RndsErrorGroup, number]>();
  const last = new Map<SendModel, { at: number; deliveredAt: number | null }>();
  for (const send of sends) {
    const sendKey = `${send.model}\t${send.status}`;
    const counted = bySend.get(sendKey) ?? [send.model, send.status, 0];
    counted[2]++;
    bySend.set(sendKey, counted);
    const group = refusalGroup(send.status, send.codes);
    if (group !== null) {
      const groupKey = `${send.model}\t${group}`;
      const refused = byGroup.get(groupKey) ?? [send.model, group, 0];
      refused[2]++;
      byGroup.set(groupKey, refused);
    }
    if (send.direct) {
      const latest = last.get(send.model) ?? { at: send.atMs, deliveredAt: null };
      latest.at = Math.max(latest.at, send.atMs);
      if (send.status === 'ENVIADO') latest.deliveredAt = Math.max(latest.deliveredAt ?? send.atMs, send.atMs);
      last.set(send.model, latest);
    }
  }
  const addSends = core.stmt(ADD_SENDS);
  for (const values of bySend.values()) addSends.run(values);
  const addRefusals = core.stmt(ADD_REFUSALS);
  for (const values of byGroup.values()) addRefusals.run(values);
  const setLast = core.stmt(SET_LAST);
  for (const [model, { at, deliveredAt }] of last) setLast.run([model, at, deliveredAt]);
  return readSendsMetrics(core);
}

/** The counters as stored (the database is open). Unknown models, statuses or groups (a newer release's) are left out. */
export function readSendsMetrics(core: SendsCore): SendsMetrics {
  const metrics = emptySendsMetrics();
  const isModel = (value: string): value is SendModel => Object.hasOwn(metrics.sends, value);
  for (const row of core.stmt('SELECT model, status, count FROM send_counts').all() as Array<{ model: string; status: string; count: number }>) {
    if (isModel(row.model) && Object.hasOwn(metrics.sends[row.model], row.status)) metrics.sends[row.model][row.status as SendStatus] = Number(row.count);
  }
  for (const row of core.stmt('SELECT model, grp, count FROM refusal_counts').all() as Array<{ model: string; grp: string; count: number }>) {
    if (isModel(row.model) && Object.hasOwn(metrics.refusals[row.model], row.grp)) metrics.refusals[row.model][row.grp as RndsErrorGroup] = Number(row.count);
  }
  for (const row of core.stmt('SELECT model, at, delivered_at FROM last_sends').all() as Array<{ model: string; at: number; delivered_at: number | null }>) {
    if (!isModel(row.model)) continue;
    metrics.lastSendAt[row.model] = Number(row.at);
    if (row.delivered_at !== null) metrics.lastDeliveredAt = Math.max(metrics.lastDeliveredAt ?? Number(row.delivered_at), Number(row.delivered_at));
  }
  return metrics;
}

/** The snapshot a scrape reads: zeros until loaded (at start, when the database exists) or until the first batch. */
export class SendsMetricsSnapshot {
  #current = emptySendsMetrics();

  constructor(private readonly core: SendsCore) {}

  get current(): SendsMetrics {
    return this.#current;
  }

  /** After a batch committed: the counters its transaction read. */
  replace(metrics: SendsMetrics): void {
    this.#current = metrics;
  }

  /** Reads the stored counters (opening the database). */
  async load(): Promise<void> {
    await this.core.db();
    this.#current = readSendsMetrics(this.core);
  }
}
