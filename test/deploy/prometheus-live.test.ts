/**
 * The real engine: a real Prometheus (the Debian package's binary, its own config and storage in a temp folder, a free
 * loopback port) scrapes two running pec-rnds servers with the monitoring token, evaluates deploy/prometheus's rules,
 * fires PecRndsCredentialRefused and PecRndsSendsRefused when the host reports refused sends to one installation (POST
 * /api/envios with the reporting token), PecRndsDegraded when it really degrades (its enabled file leaves the chaves
 * folder), then PecRndsTargetDown when the other stops. Every wait polls Prometheus' HTTP API with a budget counted in
 * polls.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.js';
import { stringify } from 'yaml';
import { freePort } from '../cli/run.js';
import { FIXTURES, CERTS } from '../support/harness.js';
import { dashboardQueries, reportedSends } from './monitoring-files.js';
import { compiled } from '../support/spawn.js';
import { DEPLOY, ROOT, start, which, type Started } from './support.js';

const prometheusBin = which('prometheus');
const ACCESS = 'token-de-acesso-do-municipio-0123456789';
const MONITORING = 'token-de-monitoramento-central-0123456789';
const REPORTING = 'token-de-envios-do-pec-0123456789';
const POLL_MS = 250;
/** Polls allowed for each wait: the budget is a count, not a clock. */
const POLLS = 480;

interface Instance {
  name: string;
  server: Started;
  port: number;
  chavesDir: string;
  file: string;
  target: string;
}

interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}
interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

/** Polls `probe` until it returns a value (not undefined), at most `POLLS` times. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, log: () => string): Promise<T> {
  let last: unknown;
  for (let i = 0; i < POLLS; i++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await delay(POLL_MS);
  }
  throw new Error(`${what}: not seen after ${POLLS} polls (last error: ${String(last)})\n${log()}`);
}

describe.skipIf(!prometheusBin)('a real Prometheus scraping two running pec-rnds (prometheus installed)', () => {
  let work: string;
  let prometheus: Started;
  let promUrl: string;
  const instances: Instance[] = [];

  const logs = () => [`--- prometheus:\n${prometheus?.output().slice(-3000)}`, ...instances.map((i) => `--- ${i.name}:\n${i.server.output().slice(-2000)}`)].join('\n');

  const query = async (promql: string): Promise<PromVector[]> => {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { resultType: string; result: PromVector[] }; error?: string };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result;
  };
  const alerts = async (): Promise<PromAlert[]> => {
    const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } };
    return body.data.alerts;
  };

  async function startInstance(name: string, fixture: { file: string; password: string }): Promise<Instance> {
    const root = path.join(work, name);
    const chavesDir = path.join(root, 'chaves');
    fs.mkdirSync(chavesDir, { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, fixture.file), path.join(chavesDir, fixture.file));
    const port = await freePort();
    const server = start(process.execPath, [compiled('scripts/serve.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: root,
        PORT: String(port),
        HOST: '127.0.0.1',
        RNDS_BASE_PATH: '/rnds',
        RNDS_CHAVES_DIR: chavesDir,
        RNDS_DATA_DIR: path.join(root, 'data'),
        RNDS_ACCESS_TOKEN: ACCESS,
        RNDS_MONITORING_TOKEN: MONITORING,
        RNDS_REPORTING_TOKEN: REPORTING,
        RNDS_UF: 'MG',
        // "Testar conexão" goes to a closed loopback port: a real no-connection result, nothing leaves the machine.
        RNDS_AUTH_URL_PRODUCAO: `https://127.0.0.1:${await freePort()}`,
      },
    });
    await server.waitFor(/Estado:/, 60_000);
    const base = `http://127.0.0.1:${port}/rnds`;
    // Enabled the way an administrator does it (the API with the access token), once the file is listed as ready.
    await until(`${name}: ${fixture.file} ready`, async () => {
      const response = await fetch(`${base}/api/certificates`, { headers: { Authorization: `Bearer ${ACCESS}` } });
      const body = (await response.json()) as { certificates: Array<{ file: string; status: string }> };
      return body.certificates.some((e) => e.file === fixture.file && e.status === 'ready') ? true : undefined;
    }, () => server.output());
    const enable = await fetch(`${base}/api/enable`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ACCESS}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ file: fixture.file, password: fixture.password, identificadorSolicitante: name === 'ubs-centro' ? '3167' : '4242' }),
    });
    expect(enable.status, await enable.clone().text()).toBe(200);
    const tested = await fetch(`${base}/api/connection-test`, { method: 'POST', headers: { Authorization: `Bearer ${ACCESS}` } });
    expect(((await tested.json()) as { connection: { status: string } }).connection.status).toBe('no-connection');
    return { name, server, port, chavesDir, file: fixture.file, target: `127.0.0.1:${port}` };
  }

  beforeAll(async () => {
    work = tempDir('pec-rnds-prometheus-');
    instances.push(await startInstance('ubs-centro', CERTS.aes), await startInstance('ubs-norte', CERTS.legacy));

    // The shipped rules, with every "for:" at 0s: promtool's unit tests pin the waiting times; this proves the wiring.
    const rules = fs.readFileSync(path.join(DEPLOY, 'prometheus/pec-rnds-alerts.yml'), 'utf8').replace(/^(\s+for:) .+$/gm, '$1 0s');
    fs.writeFileSync(path.join(work, 'rules.yml'), rules);
    fs.writeFileSync(path.join(work, 'monitoring-token'), MONITORING, { mode: 0o600 });
    fs.writeFileSync(
      path.join(work, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
        rule_files: [path.join(work, 'rules.yml')],
        scrape_configs: [
          {
            job_name: 'pec-rnds',
            metrics_path: '/rnds/metrics',
            authorization: { type: 'Bearer', credentials_file: path.join(work, 'monitoring-token') },
            static_configs: [{ targets: instances.map((i) => i.target) }],
          },
        ],
      }),
    );
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prometheus = start(prometheusBin!, [
      `--config.file=${path.join(work, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    await until('Prometheus ready', async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined), logs);
  });

  afterAll(async () => {
    await prometheus?.stop();
    for (const i of instances) await i.server.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it(
    'when both are scraped with the monitoring token, then both are up and enabled; when the host reports sends refused for the credential to one, then its sends series appear and PecRndsCredentialRefused and PecRndsSendsRefused fire for it alone; when it loses its certificate file, then PecRndsDegraded fires for it alone; when the other stops, then PecRndsTargetDown fires for it',
    async () => {
      const [centro, norte] = instances as [Instance, Instance];

      // Both scraped, with the read-only token (an access token would never be given to Prometheus).
      await until('both targets up and enabled', async () => {
        const enabled = await query('pec_rnds_state{job="pec-rnds",state="enabled"} == 1');
        return enabled.length === 2 ? enabled : undefined;
      }, logs);
      expect((await query('up{job="pec-rnds"}')).map((s) => s.value[1])).toEqual(['1', '1']);
      const info = await query('pec_rnds_installation_info{job="pec-rnds"}');
      expect(info.map((s) => s.metric.identificador_solicitante).sort()).toEqual(['3167', '4242']);
      expect(info.every((s) => s.metric.uf === 'MG' && s.metric.cnpj === '12345678000190' && s.metric.environment === 'producao')).toBe(true);
      const x509 = await query('x509_cert_not_after{job="pec-rnds"}');
      expect(x509.map((s) => s.metric.filename).sort()).toEqual([CERTS.aes.file, CERTS.legacy.file].sort());
      expect((await alerts()).filter((a) => a.labels.alertname === 'PecRndsDegraded')).toEqual([]);
      // Both connection tests failed (no-connection): PecRndsConnectionFailing fires for both.
      const failing = await until('PecRndsConnectionFailing firing for both', async () => {
        const firing = (await alerts()).filter((a) => a.labels.alertname === 'PecRndsConnectionFailing' && a.state === 'firing');
        return firing.length === 2 ? firing : undefined;
      }, logs);
      expect(failing.map((a) => a.labels.status)).toEqual(['no-connection', 'no-connection']);

      // The host reports its sends to ubs-centro, once Prometheus has its counters at 0 (so increase() sees them rise):
      // five batches of five direct sends, three of each refused, the last one of all refused for the credential.
      await until('the sends counters of ubs-centro scraped at 0', async () => {
        const series = await query(`pec_rnds_sends_total{instance="${centro.target}"}`);
        return series.length > 0 && series.every((s) => s.value[1] === '0') ? series : undefined;
      }, logs);
      const base = `http://127.0.0.1:${centro.port}/rnds`;
      for (const batch of ['a', 'b', 'c', 'd', 'e']) {
        const reported = await fetch(`${base}/api/envios`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${REPORTING}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(reportedSends(Date.now(), batch)),
        });
        expect(reported.status, await reported.clone().text()).toBe(200);
      }
      const sent = await until('the 30 reported sends scraped', async () => {
        const total = await query(`sum(pec_rnds_sends_total{instance="${centro.target}"})`);
        return total[0]?.value[1] === '30' ? total : undefined;
      }, logs);
      expect(sent).toHaveLength(1);
      const byStatus = await query(`sum by (status) (pec_rnds_sends_total{instance="${centro.target}"})`);
      expect(Object.fromEntries(byStatus.map((s) => [s.metric.status, s.value[1]]))).toEqual({
        ENVIADO: '10',
        ENVIADO_CENTRALIZADOR: '5',
        FALHA_CREDENCIAL: '5',
        SEM_CONEXAO: '5',
        DADOS_INVALIDOS: '5',
      });
      const refusals = await query(`pec_rnds_send_refusals_total{instance="${centro.target}"} > 0`);
      expect(refusals.map((s) => `${s.metric.model} ${s.metric.group} ${s.value[1]}`).sort()).toEqual(['RAC credencial 5', 'RIA-R cidadao 5', 'RPM rnds-fora 5']);
      expect((await query('pec_rnds_last_send_timestamp_seconds')).map((s) => s.metric.instance)).toEqual(Array(4).fill(centro.target));
      expect((await query('pec_rnds_last_delivered_send_timestamp_seconds')).map((s) => s.metric.instance)).toEqual([centro.target]);
      // The last direct send was refused for the credential: the critical alert, for ubs-centro alone.
      const refused = await until('PecRndsCredentialRefused firing for ubs-centro', async () => {
        const firing = (await alerts()).filter((a) => a.labels.alertname === 'PecRndsCredentialRefused' && a.state === 'firing');
        return firing.length > 0 ? firing : undefined;
      }, logs);
      expect(refused.map((a) => a.labels.instance)).toEqual([centro.target]);
      // 15 of 25 direct sends refused in the hour (the centralizador's 5 are not direct): over 20 % of at least 20.
      const ratio = await until('PecRndsSendsRefused firing for ubs-centro', async () => {
        const firing = (await alerts()).filter((a) => a.labels.alertname === 'PecRndsSendsRefused' && a.state === 'firing');
        return firing.length > 0 ? firing : undefined;
      }, logs);
      expect(ratio.map((a) => a.labels.instance)).toEqual([centro.target]);
      expect((await alerts()).filter((a) => a.labels.alertname === 'PecRndsNoSends')).toEqual([]);
      // RNDS_CREDENTIAL_REFUSED is critical, so ubs-centro is degraded too; the next direct send RNDS accepts clears it.
      const accepted = await fetch(`${base}/api/envios`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${REPORTING}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ envios: [{ at: new Date(Date.now() + 1000).toISOString(), model: 'RAC', recordId: 'f-1', httpStatus: 201 }] }),
      });
      expect(accepted.status, await accepted.clone().text()).toBe(200);
      await until('PecRndsCredentialRefused and PecRndsDegraded gone', async () => {
        const active = (await alerts()).filter((a) => a.labels.alertname === 'PecRndsCredentialRefused' || a.labels.alertname === 'PecRndsDegraded');
        const state = await query(`pec_rnds_state{instance="${centro.target}", state="enabled"} == 1`);
        return active.length === 0 && state.length === 1 ? true : undefined;
      }, logs);

      // Every query of the Grafana dashboard answers with data from these two real installations.
      for (const { title, expr } of dashboardQueries()) {
        const promql = expr.replaceAll('$job', 'pec-rnds').replaceAll('$instance', `${centro.target}|${norte.target}`);
        expect((await query(promql)).length, `${title}: ${promql}`).toBeGreaterThan(0);
      }

      // ubs-centro really degrades: its enabled file leaves the chaves folder.
      fs.rmSync(path.join(centro.chavesDir, centro.file));
      const degraded = await until('PecRndsDegraded firing for ubs-centro', async () => {
        const firing = (await alerts()).filter((a) => a.labels.alertname === 'PecRndsDegraded' && a.state === 'firing');
        return firing.length > 0 ? firing : undefined;
      }, logs);
      expect(degraded.map((a) => a.labels.instance)).toEqual([centro.target]);
      expect(degraded[0]!.labels.severity).toBe('critical');
      expect((await query('pec_rnds_problem{code="CERTIFICATE_MISSING"} == 1')).map((s) => s.metric.instance)).toEqual([centro.target]);

      // ubs-norte goes away.
      await norte.server.stop();
      const down = await until('PecRndsTargetDown firing for ubs-norte', async () => {
        const firing = (await alerts()).filter((a) => a.labels.alertname === 'PecRndsTargetDown' && a.state === 'firing');
        return firing.length > 0 ? firing : undefined;
      }, logs);
      expect(down.map((a) => a.labels.instance)).toEqual([norte.target]);
    },
    // The waits above are counted in polls; this only stops a wedged run.
    15 * 60_000,
  );
});
