import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestCertificate, type TestCertificate } from '../../scripts/lib/test-certificate.js';
import { parseOptions } from '../../module/config/options.js';
import { parseEnv, alertsFromEnv } from '../../module/config/env.js';
import { startRndsAuthDouble, type RndsAuthDouble } from '../doubles/rnds-auth.js';
import { createTestCa, type RndsTestPki } from '../doubles/pki.js';
import { BASE, TOKEN, bearer, encodings, readTree, startHarness, type Harness } from '../support/harness.js';
import { fakeScheduler } from '../support/fake-scheduler.js';
import { SMTP_PASSWORD, SMTP_USER, startReceiver, startSmtp } from '../support/alert-doubles.js';
import type { RndsModuleOptions } from '../../module/index.js';
import { formatCnpj } from '../../module/present/index.js';

/**
 * Alerts against a real SMTP server (smtp-server, on 127.0.0.1) and a real HTTP webhook receiver, with the module's
 * injected clock moved by hand across the 30/15/7/1-day thresholds.
 */
const PASSWORD = 'Alerta#Senha1ç';
const DAY_MS = 24 * 60 * 60 * 1000;

let cert: TestCertificate; // 40 days of validity from yesterday, ending at 15:00 in São Paulo (the default zone)
let pki: RndsTestPki; // just the RNDS double's server side: two keys instead of the full test PKI's ten
beforeAll(() => {
  // Days left are calendar days: a fixed hour of the day makes `at(29.5)` (03:00 local) always 29 days before.
  const today = new Date();
  cert = createTestCertificate({ password: PASSWORD, days: 40, now: new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1, 18)) });
  const serverCa = createTestCa('RNDS Double Server CA');
  const server = serverCa.issue({ commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' });
  pki = { serverCa, clientCa: serverCa, untrustedCa: serverCa, server, clients: {} } as unknown as RndsTestPki;
});

const clock = { now: new Date() };
let h: Harness | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const close of closers.splice(0)) await close();
});

/** The module with `alerts`, the fake clock, and the 40-day certificate enabled. Retries wait 0 ms: budgets are counts. */
async function withModule(alerts: RndsModuleOptions['alerts'], extra: Partial<RndsModuleOptions> = {}): Promise<Harness> {
  const harness = await startHarness({ now: () => clock.now, alerts: { retryDelayMs: 0, ...alerts }, ...extra });
  fs.writeFileSync(path.join(harness.chavesDir, 'municipio.pfx'), cert.pfx);
  await harness.waitFor(() => harness.rnds.status().certificates.some((e) => e.file === 'municipio.pfx' && e.status === 'ready'), 'municipio.pfx ready', 60_000);
  await request(harness.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'municipio.pfx', password: PASSWORD, identificadorSolicitante: '3167' }).expect(200);
  return harness;
}

function at(daysBeforeExpiry: number): Date {
  return new Date(cert.notAfter.getTime() - daysBeforeExpiry * DAY_MS);
}

describe('alerts by e-mail and webhook', () => {
  it('when the clock crosses 30, 15, 7 and 1 days before expiry and then expiry, then each alert is sent once by e-mail and webhook, in pt-BR, saying what to do', async () => {
    const smtp = await startSmtp();
    const hook = await startReceiver();
    closers.push(smtp.close, hook.close);
    clock.now = new Date();
    h = await withModule({ smtpUrl: smtp.url, emails: ['ti@prefeitura.test', 'gestor@prefeitura.test'], from: 'pec@prefeitura.test', webhookUrl: hook.url });
    await h.rnds.checkAlerts();
    expect(smtp.mails).toHaveLength(0); // 40 days left: nothing yet

    const steps: Array<[number, RegExp]> = [
      [29.5, /vence em \d\d\/\d\d\/\d{4} \(faltam 29 dias\)/],
      [14.5, /faltam 14 dias/],
      [6.5, /faltam 6 dias/],
      [0.5, /vence hoje/],
      [-0.5, /venceu em/],
    ];
    for (const [days, subject] of steps) {
      clock.now = at(days);
      await h.rnds.checkAlerts();
      await h.rnds.checkAlerts(); // evaluating again sends nothing new
      expect(smtp.mails.at(-1)?.subject).toMatch(subject);
      expect(hook.bodies.at(-1)?.subject).toMatch(subject);
    }
    expect(smtp.mails).toHaveLength(5);
    expect(hook.bodies).toHaveLength(5);
    expect(hook.bodies.map((b) => b.event)).toEqual(['certificate-expiring', 'certificate-expiring', 'certificate-expiring', 'certificate-expiring', 'certificate-expired']);
    // Expiry makes the state degraded, but the expiry alert already says it: no second "degraded" alert.
    expect(h.rnds.status().state).toBe('degraded');

    const first = smtp.mails[0]!;
    expect(first.from).toBe('pec@prefeitura.test');
    expect(first.to).toEqual(['ti@prefeitura.test', 'gestor@prefeitura.test']);
    expect(first.text).toContain('e-Gestor AB');
    expect(first.text).toContain('pasta chaves');
    expect(first.text).toContain(`CNPJ ${formatCnpj(cert.cnpj)}`);
    expect(hook.bodies[0]).toMatchObject({ source: 'pec-rnds', event: 'certificate-expiring', severity: 'warning', installation: { cnpj: cert.cnpj, file: 'municipio.pfx', daysLeft: 29 } });
    expect(h.rnds.status().alerts).toMatchObject({ channels: ['email', 'webhook'], pending: 0, sent: { email: 5, webhook: 5 }, failed: { email: 0, webhook: 0 }, lastFailure: null });

    // Nothing secret in any message: not the certificate password, the access token, nor the SMTP password.
    const everything = [...smtp.mails.map((m) => m.raw + m.text), ...hook.bodies.map((b) => JSON.stringify(b))].join('\n');
    for (const secret of [PASSWORD, TOKEN, SMTP_PASSWORD]) for (const form of encodings(secret)) expect(Buffer.from(everything).includes(form)).toBe(false);
    expect(everything).not.toContain('gancho-secreto');
  });

  it('when the module restarts after an alert, then it is not sent again; the next threshold still is', async () => {
    const hook = await startReceiver();
    closers.push(hook.close);
    clock.now = new Date();
    h = await withModule({ webhookUrl: hook.url });
    clock.now = at(20);
    await h.rnds.checkAlerts();
    expect(hook.bodies).toHaveLength(1);

    // Same data and chaves folders, new process-like instance.
    const { chavesDir, dataDir } = h;
    await h.rnds.close();
    const { createRndsModule } = await import('../../module/index.js');
    const again = await createRndsModule({ chavesDir, dataDir, accessToken: TOKEN, now: () => clock.now, alerts: { webhookUrl: hook.url, retryDelayMs: 0 } });
    try {
      await again.settled();
      await again.checkAlerts();
      expect(hook.bodies).toHaveLength(1);
      clock.now = at(10);
      await again.checkAlerts();
      expect(hook.bodies).toHaveLength(2);
      expect(hook.bodies[1]!.subject).toMatch(/faltam 10 dias/);
    } finally {
      await again.close();
    }
    // An old state file without the alerts memory still loads (written before alerts existed).
    const state = JSON.parse(fs.readFileSync(path.join(dataDir, 'state.json'), 'utf8'));
    delete state.alerts;
    fs.writeFileSync(path.join(dataDir, 'state.json'), JSON.stringify(state));
    const old = await createRndsModule({ chavesDir, dataDir, accessToken: TOKEN, now: () => clock.now });
    expect(old.status().state).toBe('enabled');
    await old.close();
    fs.rmSync(h.root, { recursive: true, force: true });
    h = undefined;
  });

  it('when the enabled file leaves the folder and comes back, then "degraded" and "recovered" go out once each, with what to do', async () => {
    const hook = await startReceiver();
    closers.push(hook.close);
    clock.now = new Date();
    h = await withModule({ webhookUrl: hook.url });
    const file = path.join(h.chavesDir, 'municipio.pfx');
    fs.rmSync(file);
    await h.waitFor(() => h!.rnds.status().state === 'degraded', 'degraded', 60_000);
    await h.rnds.checkAlerts();
    expect(hook.bodies.map((b) => b.event)).toEqual(['degraded']);
    expect(hook.bodies[0]!.message).toContain('copie-o de volta');
    fs.writeFileSync(file, cert.pfx);
    await h.waitFor(() => h!.rnds.status().state === 'enabled', 'enabled again', 60_000);
    await h.rnds.checkAlerts();
    await h.rnds.checkAlerts();
    expect(hook.bodies.map((b) => b.event)).toEqual(['degraded', 'recovered']);
  });

  it('when the connection check fails twice in a row, then one alert goes out; when it works again, one recovery', async () => {
    const hook = await startReceiver();
    closers.push(hook.close);
    // The double's clock is the test's fake one: the module compares RNDS's Date with its own clock (CLOCK_SKEW).
    const double: RndsAuthDouble = await startRndsAuthDouble({ pki, scenario: 'server-error', extraClientCaPem: cert.caPem, now: () => clock.now });
    closers.push(() => double.close());
    clock.now = new Date();
    h = await withModule({ webhookUrl: hook.url }, { authUrlProducao: double.url, authUrlHomologacao: double.url, rndsCa: double.trustedCa.join('\n') });

    clock.now = new Date(clock.now.getTime() + 60_000);
    expect((await h.rnds.testConnection()).status).toBe('no-connection');
    await h.rnds.checkAlerts();
    expect(hook.bodies).toHaveLength(0); // one failure is not a trend
    clock.now = new Date(clock.now.getTime() + 60_000);
    await h.rnds.testConnection();
    await h.rnds.checkAlerts();
    clock.now = new Date(clock.now.getTime() + 60_000);
    await h.rnds.testConnection(); // a third failure: still one alert
    await h.rnds.checkAlerts();
    expect(hook.bodies.map((b) => b.event)).toEqual(['connection-failing']);
    expect(hook.bodies[0]!.message).toContain('Sem conexão');

    double.setScenario('success');
    clock.now = new Date(clock.now.getTime() + 60_000);
    expect((await h.rnds.testConnection()).status).toBe('ok');
    await h.rnds.checkAlerts();
    expect(hook.bodies.map((b) => b.event)).toEqual(['connection-failing', 'connection-recovered']);
  });

  it('when the webhook answers 500 twice, then the alert is retried and delivered on the third attempt', async () => {
    const hook = await startReceiver(2);
    closers.push(hook.close);
    clock.now = new Date();
    h = await withModule({ webhookUrl: hook.url, attempts: 5 });
    clock.now = at(20);
    await h.rnds.checkAlerts();
    expect(hook.requests).toBe(3);
    expect(hook.bodies).toHaveLength(1);
    expect(h.rnds.status().alerts).toMatchObject({ sent: { webhook: 1 }, failed: { webhook: 0 }, lastFailure: null });
  });

  it('when the SMTP server refuses the login, then after every retry the failure shows in Status and metrics, without the password', async () => {
    const smtp = await startSmtp({ refuseLogin: true });
    closers.push(smtp.close);
    clock.now = new Date();
    h = await withModule({ smtpUrl: smtp.url, emails: ['ti@prefeitura.test'], from: 'pec@prefeitura.test', attempts: 3 });
    clock.now = at(20);
    await h.rnds.checkAlerts();
    expect(smtp.mails).toHaveLength(0);
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body.alerts).toMatchObject({ channels: ['email'], pending: 0, sent: { email: 0 }, failed: { email: 1 } });
    expect(status.body.alerts.lastFailure).toMatchObject({ channel: 'email', event: expect.stringMatching(/^certificate-expiring-30:/) });
    expect(status.body.alerts.lastFailure.message).toContain('RNDS_SMTP_URL');
    const metrics = await request(h.app).get(`${BASE}/metrics`).set(bearer).expect(200);
    expect(metrics.text).toMatch(/^pec_rnds_alert_deliveries_total\{channel="email",result="failed"\} 1$/m);
    expect(metrics.text).toMatch(/^pec_rnds_alert_last_delivery_failed\{channel="email"\} 1$/m);
    for (const text of [status.text, metrics.text, h.logs.join('\n'), ...readTree(h.dataDir).map((b) => b.toString('latin1'))]) {
      expect(text).not.toContain(SMTP_PASSWORD);
    }
  });

  it('when the SMTP server refuses the login, then the first failure is logged and shown in Status and metrics at once, and the retries go on until the login works', async () => {
    const login = { refuseLogin: true };
    const smtp = await startSmtp(login);
    closers.push(smtp.close);
    const scheduler = fakeScheduler();
    clock.now = new Date();
    // The default backoff (30 s, doubling), driven by the injected scheduler: no real wait.
    h = await withModule({ smtpUrl: smtp.url, emails: ['ti@prefeitura.test'], from: 'pec@prefeitura.test', attempts: 5, retryDelayMs: undefined }, { scheduler });
    clock.now = at(20);
    const sending = h.rnds.checkAlerts();
    await h.waitFor(() => scheduler.pending.length > 0, 'the first attempt to fail and its retry to wait');

    expect(smtp.logins).toBe(1);
    expect(scheduler.delays).toEqual([30_000]);
    const refused = 'o servidor SMTP recusou o usuário ou a senha: confira RNDS_SMTP_URL';
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body.alerts).toMatchObject({ channels: ['email'], pending: 1, sent: { email: 0 }, failed: { email: 0 } });
    expect(status.body.alerts.lastFailure).toMatchObject({ channel: 'email', event: expect.stringMatching(/^certificate-expiring-30:/), message: refused });
    const metrics = await request(h.app).get(`${BASE}/metrics`).set(bearer).expect(200);
    expect(metrics.text).toMatch(/^pec_rnds_alert_last_delivery_failed\{channel="email"\} 1$/m);
    expect(metrics.text).toMatch(/^pec_rnds_alert_deliveries_pending 1$/m);
    const warnings = h.logs.filter((line) => line.includes('não foi enviado por e-mail'));
    expect(warnings).toEqual([expect.stringContaining(`(tentativa 1 de 5): ${refused}. Nova tentativa em 30 s.`)]);

    // Still refused at the second attempt; the login is then fixed and the third attempt delivers.
    scheduler.fire();
    await scheduler.whenScheduled();
    expect(smtp.logins).toBe(2);
    expect(scheduler.delays).toEqual([30_000, 60_000]);
    expect(h.logs.filter((line) => line.includes('não foi enviado por e-mail')).at(-1)).toContain('(tentativa 2 de 5)');
    login.refuseLogin = false;
    scheduler.fire();
    await sending;

    expect(smtp.mails).toHaveLength(1);
    expect(h.rnds.status().alerts).toMatchObject({ pending: 0, sent: { email: 1 }, failed: { email: 0 }, lastFailure: null });
    expect(scheduler.pending).toHaveLength(0);
    for (const text of [h.logs.join('\n'), ...readTree(h.dataDir).map((b) => b.toString('latin1'))]) expect(text).not.toContain(SMTP_PASSWORD);
  });

  it('when the SMTP server accepts the connection and never answers, then the screen and the API still answer while the alert is pending', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as AddressInfo).port;
    clock.now = new Date();
    h = await withModule({ smtpUrl: `smtp://127.0.0.1:${port}`, emails: ['ti@prefeitura.test'], from: 'pec@prefeitura.test' });
    clock.now = at(20);
    const sending = h.rnds.checkAlerts(); // not awaited: it is stuck on the silent server
    await new Promise<void>((resolve) => (sockets.size > 0 ? resolve() : silent.once('connection', () => resolve())));
    const page = await request(h.app).get(`${BASE}/`).set(bearer).expect(200);
    expect(page.text).toContain('Certificado habilitado');
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body.alerts.pending).toBe(1);
    void sending.catch(() => undefined);
  });
});

describe('alert settings', () => {
  it('when RNDS_SMTP_URL is set without recipients or with an invalid one, then the start stops naming what to fix, never echoing the password', () => {
    const env = parseEnv({ RNDS_SMTP_URL: `smtp://u:${SMTP_PASSWORD}@127.0.0.1:2525`, RNDS_ALERT_EMAILS: 'ti@prefeitura.test; gestor@prefeitura.test', RNDS_SMTP_FROM: 'pec@prefeitura.test', RNDS_WEBHOOK_URL: 'http://127.0.0.1:9/x' });
    expect(alertsFromEnv(env)).toMatchObject({ emails: ['ti@prefeitura.test', 'gestor@prefeitura.test'], from: 'pec@prefeitura.test' });
    let message = '';
    try {
      parseEnv({ RNDS_SMTP_URL: `ftp://u:${SMTP_PASSWORD}@127.0.0.1`, RNDS_ALERT_EMAILS: 'nao-e-email' });
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain('RNDS_SMTP_URL');
    expect(message).toContain('RNDS_ALERT_EMAILS');
    expect(message).not.toContain(SMTP_PASSWORD);
    expect(() => parseOptions({ chavesDir: 'c', dataDir: 'd', accessToken: TOKEN, alerts: { smtpUrl: 'smtp://127.0.0.1:25' } })).toThrow(/RNDS_ALERT_EMAILS/);
    // Without RNDS_SMTP_FROM the SMTP user is the sender when it is an e-mail address, as in PEC's e-mail settings.
    expect(() => parseOptions({ chavesDir: 'c', dataDir: 'd', accessToken: TOKEN, alerts: { smtpUrl: `smtp://${encodeURIComponent(SMTP_USER)}:x@127.0.0.1:25`, emails: ['a@b.test'] } })).not.toThrow();
    expect(() => parseOptions({ chavesDir: 'c', dataDir: 'd', accessToken: TOKEN, alerts: { smtpUrl: 'smtp://usuario:x@127.0.0.1:25', emails: ['a@b.test'] } })).toThrow(/RNDS_SMTP_FROM/);
  });
});
