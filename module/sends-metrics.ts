/**
 * The sends reported by the host, in Prometheus (CONTRACT.md *Metrics*): read at scrape time from the sends store's
 * in-memory counters (module/sends/metrics.ts), so a scrape never opens SQLite. Labels are closed sets only — model,
 * status, the dictionary's group — never a record, a citizen, a unit or RNDS's text.
 */
import type { Registry } from 'prom-client';
import { promClient } from './prom.js';
import { RNDS_ERROR_GROUPS, SEND_MODELS, SEND_STATUSES } from './enums.js';
import type { SendsMetrics } from './sends/index.js';

export function registerSendsMetrics(registry: Registry, read: () => SendsMetrics, prefix = 'pec_rnds_'): void {
  const { Counter, Gauge } = promClient();
  const seconds = (ms: number) => Math.floor(ms / 1000);
  new Counter({
    name: `${prefix}sends_total`,
    help: 'Sends the host reported to this module (POST /api/envios or recordSends), by model (RIA-C, RIA-R, RAC, RPM) and status; duplicates are not counted. Kept in sends.sqlite: restarts and the retention do not lower it (every series 0 before the first report).',
    labelNames: ['model', 'status'],
    registers: [registry],
    collect() {
      const { sends } = read();
      this.reset();
      for (const model of SEND_MODELS) for (const status of SEND_STATUSES) this.inc({ model, status }, sends[model][status]);
    },
  });
  new Counter({
    name: `${prefix}send_refusals_total`,
    help: 'Reported sends that did not reach RNDS (FALHA_CREDENCIAL, SEM_CONEXAO, DADOS_INVALIDOS), by model and by who resolves them (the RNDS error dictionary group of the code that decided the status). Kept like pec_rnds_sends_total (every series 0 before the first refusal).',
    labelNames: ['model', 'group'],
    registers: [registry],
    collect() {
      const { refusals } = read();
      this.reset();
      for (const model of SEND_MODELS) for (const group of RNDS_ERROR_GROUPS) this.inc({ model, group }, refusals[model][group]);
    },
  });
  new Gauge({
    name: `${prefix}last_send_timestamp_seconds`,
    help: 'When the latest direct send to RNDS of this model happened (its at: an RNDS answer or a failure, not a later delivery by the centralizador), as a Unix timestamp in seconds (absent for a model never reported).',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      const { lastSendAt } = read();
      this.reset();
      for (const model of SEND_MODELS) {
        const at = lastSendAt[model];
        if (at !== undefined) this.set({ model }, seconds(at));
      }
    },
  });
  new Gauge({
    name: `${prefix}last_delivered_send_timestamp_seconds`,
    help: 'When the latest direct send that RNDS accepted (status ENVIADO) happened, any model, as a Unix timestamp in seconds (absent before the first).',
    registers: [registry],
    collect() {
      const { lastDeliveredAt } = read();
      // A gauge without labels shows 0 when reset ("delivered in 1970"): before the first, its one sample is removed.
      this.reset();
      if (lastDeliveredAt !== null) this.set(seconds(lastDeliveredAt));
      else this.remove({});
    },
  });
}
