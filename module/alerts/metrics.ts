import type { Registry } from 'prom-client';
import { promClient } from '../prom.js';
import { ALERT_CHANNELS } from '../enums.js';
import type { AlertsInfo } from '../types.js';

/**
 * Alert delivery in Prometheus: deliveries sent and failed for good per channel (counters since start), those still
 * being retried, and whether the last delivery of a channel failed (kept across restarts).
 */
export function registerAlertMetrics(registry: Registry, info: () => AlertsInfo | undefined, prefix = 'pec_rnds_'): void {
  const { Counter, Gauge } = promClient();
  new Counter({
    name: `${prefix}alert_deliveries_total`,
    help: 'Alert deliveries since start, by channel and result (sent, failed after every retry).',
    labelNames: ['channel', 'result'],
    registers: [registry],
    collect() {
      const current = info();
      this.reset();
      for (const channel of current?.channels ?? []) {
        this.inc({ channel, result: 'sent' }, current!.sent[channel]);
        this.inc({ channel, result: 'failed' }, current!.failed[channel]);
      }
    },
  });
  new Gauge({
    name: `${prefix}alert_deliveries_pending`,
    help: 'Alert deliveries still being tried (with backoff).',
    registers: [registry],
    collect() {
      this.set(info()?.pending ?? 0);
    },
  });
  new Gauge({
    name: `${prefix}alert_last_delivery_failed`,
    help: '1 when the last alert delivery attempt on this channel failed, retried or not (0 once one succeeds).',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      const current = info();
      this.reset();
      for (const channel of ALERT_CHANNELS.filter((c) => current?.channels.includes(c))) this.set({ channel }, current?.lastFailure?.channel === channel ? 1 : 0);
    },
  });
}
