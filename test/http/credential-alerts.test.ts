/**
 * Alerts from the sends the host reports (POST /api/envios with the reporting token): the refused credential
 * (credential-refused / credential-recovered) and the clock codes ERR807/808/830 (CLOCK_SKEW, clock-skew), against the
 * real SMTP server double and webhook receiver, on a real module with a real certificate enabled and a real sends
 * store. And the privacy of it all: no record id, CNS, CPF, FHIR id or RNDS diagnostics in e-mails, webhooks, logs,
 * the Status or anything the monitoring token reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { explain } from '../../module/rnds/dictionary.js';
import { BASE, CERTS, bearer, startHarness, type Harness } from '../support/harness.js';
import { startReceiver, startSmtp, type Receiver, type Smtp } from '../support/alert-doubles.js';

const REPORTING = 'envios-do-pec-0123456789abcdef';
const MONITORING = 'monitoramento-central-0123456789abcdef';
const asReporter = { Authorization: `Bearer ${REPORTING}` };
const asMonitor = { Authorization: `Bearer ${MONITORING}` };

// Patient data as RNDS and the host may write it: a CNS, a CPF (formatted and bare) and a FHIR id.
const CNS = '898001160660006';
const CPF = '529.982.247-25';
const CPF_DIGITS = '52998224725';
const FHIR_ID = 'Patient/7c9e6679-7425-40de-944b-e07fc1f90ae7';
const PATIENT = `paciente CNS ${CNS}, CPF ${CPF} (${CPF_DIGITS}), ${FHIR_ID}`;

const outcome = (code: string, text: string) => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'processing', diagnostics: `(${code}) ${text} — ${PATIENT}` }],
});
const ERR881 = outcome('EHR-ERR881', 'Identificador solicitante não autorizado: BRRNDS-3167');
const ERR807 = outcome('EHR-ERR807', 'Data do documento anterior ao permitido');
const ERR808 = outcome('EHR-ERR808', 'Data do documento posterior ao momento do envio');

let h: Harness | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const close of closers.splice(0)) await close();
});

interface Setup {
  h: Harness;
  smtp: Smtp;
  hook: Receiver;
  /** The e-mails and webhook bodies that arrived after the enable (expiry alerts of the fixture left out). */
  fresh(): { mails: Smtp['mails']; hooks: Array<Record<string, unknown>> };
}

async function setup(): Promise<Setup> {
  const smtp = await startSmtp();
  const hook = await startReceiver();
  closers.push(smtp.close, hook.close);
  clock.ms = Date.now();
  h = await startHarness({
    now: () => new Date(clock.ms),
    files: [CERTS.aes.file],
    reportingToken: REPORTING,
    monitoringToken: MONITORING,
    alerts: { smtpUrl: smtp.url, emails: ['ti@prefeitura.test'], from: 'pec@prefeitura.test', webhookUrl: hook.url, retryDelayMs: 0 },
  });
  await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' }).expect(200);
  await h.rnds.checkAlerts();
  const mailsBefore = smtp.mails.length;
  const hooksBefore = hook.bodies.length;
  const harness = h;
  return { h: harness, smtp, hook, fresh: () => ({ mails: smtp.mails.slice(mailsBefore), hooks: hook.bodies.slice(hooksBefore) }) };
}

let seq = 0;
/** The module's clock: moved by hand only. */
const clock = { ms: 0 };
/** One direct send `offsetMs` after the module's clock (each report later than the one before), recordId a CNS. */
function send(fields: Record<string, unknown>, offsetMs: number) {
  seq += 1;
  return { at: new Date(clock.ms + offsetMs).toISOString(), model: 'RIA-R', recordId: `${CNS}-${seq}`, detail: `Vacina de ${PATIENT}`, ...fields };
}

/** Reports the sends; the module's clock then moves a second on (each alert of its own instant). */
async function report(harness: Harness, envios: Array<Record<string, unknown>>): Promise<void> {
  clock.ms += 1000;
  await request(harness.app).post(`${BASE}/api/envios`).set(asReporter).send({ envios }).expect(200);
  await harness.rnds.checkAlerts();
}

async function problems(harness: Harness): Promise<Array<{ code: string; severity: string; message: string }>> {
  return (await request(harness.app).get(`${BASE}/api/status`).set(bearer).expect(200)).body.problems;
}

const events = (hooks: Array<Record<string, unknown>>) => hooks.map((b) => b.event);

describe('alerts from reported sends', () => {
  it('when a direct send is refused with EHR-ERR881, then one e-mail and one webhook say what to do (no degraded alert); a second refused batch sends nothing; a delivered send sends the recovery; a new refusal and an enable clear it again', async () => {
    const { h, fresh } = await setup();

    await report(h, [send({ httpStatus: 403, operationOutcome: ERR881 }, 10)]);
    let { mails, hooks } = fresh();
    expect(events(hooks)).toEqual(['credential-refused']); // one problem, one alert: no `degraded` beside it
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.subject).toMatch(/^\[pec-rnds\] RNDS recusou a credencial — /);
    expect(mail.text).toContain('EHR-ERR881');
    expect(mail.text).toContain('e-Gestor AB › Credenciais geradas');
    expect(mail.text).toContain('ID SOLICITAÇÃO');
    expect(mail.text).toContain('identificador solicitante 3167');
    expect(mail.text).toMatch(/habilite de novo o certificado/);
    expect(hooks[0]).toMatchObject({ event: 'credential-refused', severity: 'critical', subject: mail.subject });
    expect(hooks[0]!.installation).toMatchObject({ state: 'degraded', rndsCode: 'EHR-ERR881', problems: expect.stringContaining('RNDS_CREDENTIAL_REFUSED') });
    expect(String(hooks[0]!.message)).toContain('ID SOLICITAÇÃO');

    // Still refused (the host's own certificate failure this time): nothing new.
    await report(h, [send({ failure: 'certificate-failure' }, 20), send({ httpStatus: 403, operationOutcome: ERR881 }, 25)]);
    expect(fresh().hooks).toHaveLength(1);
    expect(fresh().mails).toHaveLength(1);

    // A delivered direct send: the recovery, once, and no `recovered` (no `degraded` was sent).
    await report(h, [send({ httpStatus: 201, rndsId: 'Composition/9' }, 30)]);
    ({ mails, hooks } = fresh());
    expect(events(hooks)).toEqual(['credential-refused', 'credential-recovered']);
    expect(mails.map((m) => m.subject)).toEqual([mail.subject, expect.stringMatching(/^\[pec-rnds\] RNDS voltou a aceitar a credencial — /)]);
    expect(mails[1]!.text).toContain('não foi recusado pela credencial');
    expect(hooks[1]).toMatchObject({ severity: 'info' });
    await report(h, [send({ httpStatus: 201 }, 35)]);
    expect(fresh().hooks).toHaveLength(2);

    // Refused again (a new episode, a new alert), then cleared by enabling again.
    await report(h, [send({ httpStatus: 401 }, 40)]);
    ({ hooks } = fresh());
    expect(events(hooks)).toEqual(['credential-refused', 'credential-recovered', 'credential-refused']);
    expect(hooks[2]!.installation).toMatchObject({ rndsCode: null }); // a 401 carries no code
    clock.ms += 60_000; // the new enable comes after the refused send
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3168' }).expect(200);
    await h.rnds.checkAlerts();
    ({ mails, hooks } = fresh());
    expect(events(hooks)).toEqual(['credential-refused', 'credential-recovered', 'credential-refused', 'credential-recovered']);
    expect(mails.at(-1)!.text).toContain('habilitado de novo');
    expect((await problems(h)).map((p) => p.code)).not.toContain('RNDS_CREDENTIAL_REFUSED');
  });

  it('when the credential is refused and then the enabled file leaves the folder, then the degraded alert still comes for the missing file', async () => {
    const { h, fresh } = await setup();
    await report(h, [send({ httpStatus: 403, operationOutcome: ERR881 }, 10)]);
    fs.rmSync(path.join(h.chavesDir, CERTS.aes.file));
    await h.waitFor(() => h.rnds.status().problems.some((p) => p.code === 'CERTIFICATE_MISSING'), 'CERTIFICATE_MISSING');
    await h.rnds.checkAlerts();
    const { hooks, mails } = fresh();
    expect(events(hooks)).toEqual(['credential-refused', 'degraded']);
    expect(mails[1]!.text).toContain('foi removido da pasta chaves');
  });

  it('when the module restarts while the credential is refused, then no recovery and no second alert are sent', async () => {
    const { h, fresh } = await setup();
    await report(h, [send({ httpStatus: 403, operationOutcome: ERR881 }, 10)]);
    await h.restart();
    await h.rnds.checkAlerts();
    expect(events(fresh().hooks)).toEqual(['credential-refused']);
    expect((await problems(h)).map((p) => p.code)).toContain('RNDS_CREDENTIAL_REFUSED');
  });

  it('when direct sends carry EHR-ERR807/808, then the Status has CLOCK_SKEW with what RNDS answered and the NTP fix, one clock-skew alert goes out, and a later send without them clears it', async () => {
    const { h, fresh } = await setup();
    await report(h, [send({ httpStatus: 422, operationOutcome: ERR807 }, 10)]);
    let clock = (await problems(h)).find((p) => p.code === 'CLOCK_SKEW');
    expect(clock).toMatchObject({ severity: 'warning' });
    expect(clock!.message).toContain(`EHR-ERR807: ${explain('EHR-ERR807').title}`);
    expect(clock!.message).toContain('timedatectl set-ntp true');
    expect(clock!.message).toContain('w32tm /resync');
    expect((await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200)).body.state).toBe('enabled'); // a warning
    let { hooks, mails } = fresh();
    expect(events(hooks)).toEqual(['clock-skew']);
    expect(hooks[0]).toMatchObject({ severity: 'warning' });
    expect(hooks[0]!.installation).toMatchObject({ rndsCode: 'EHR-ERR807', clockSkewSeconds: null }); // no Date measurement
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/Relógio do servidor diferente do da RNDS/);
    expect(mails[0]!.text).toContain('timedatectl set-ntp true');

    // Still wrong: the message counts the hour's sends; no second alert.
    await report(h, [send({ httpStatus: 201 }, 15), send({ httpStatus: 422, operationOutcome: ERR808 }, 20)]);
    clock = (await problems(h)).find((p) => p.code === 'CLOCK_SKEW');
    expect(clock!.message).toMatch(/A RNDS recusou por data e hora 2 de 3 envios diretos entre /);
    expect(clock!.message).toContain('EHR-ERR808');
    ({ hooks } = fresh());
    expect(events(hooks)).toEqual(['clock-skew']);

    // Read back at a restart, still one alert.
    await h.restart();
    await h.rnds.checkAlerts();
    expect((await problems(h)).map((p) => p.code)).toContain('CLOCK_SKEW');
    expect(events(fresh().hooks)).toEqual(['clock-skew']);

    // Fixed: the next direct send has no clock code.
    await report(h, [send({ httpStatus: 201 }, 30)]);
    expect((await problems(h)).map((p) => p.code)).not.toContain('CLOCK_SKEW');
    ({ hooks, mails } = fresh());
    expect(events(hooks)).toEqual(['clock-skew']); // no recovery alert for the clock (as for the Date measurement)
    expect(mails).toHaveLength(1);
    // Wrong again: a new episode, a new alert.
    await report(h, [send({ httpStatus: 422, operationOutcome: outcome('ERR830', 'Data posterior à data atual') }, 40)]);
    expect(events(fresh().hooks)).toEqual(['clock-skew', 'clock-skew']);
  });

  it('when refused and clock-coded sends carry a CNS, a CPF and a FHIR id in recordId, detail and diagnostics, then no e-mail, webhook, log, Status or monitoring read shows any of them', async () => {
    const { h, smtp, hook } = await setup();
    await report(h, [send({ httpStatus: 403, operationOutcome: ERR881 }, 10)]);
    await report(h, [send({ httpStatus: 422, operationOutcome: ERR807 }, 20), send({ httpStatus: 422, operationOutcome: ERR808 }, 25)]);
    await report(h, [send({ httpStatus: 201 }, 30)]);
    await report(h, [send({ httpStatus: 403, operationOutcome: ERR881, rndsId: FHIR_ID }, 40)]);
    const kinds = events(hook.bodies);
    for (const kind of ['credential-refused', 'credential-recovered', 'clock-skew']) expect(kinds).toContain(kind);

    const reads: string[] = [];
    for (const auth of [bearer, asMonitor]) {
      for (const route of ['/api/status', '/api/certificates', '/api/envios', '/metrics']) {
        reads.push((await request(h.app).get(`${BASE}${route}`).set(auth).expect(200)).text);
      }
    }
    reads.push((await request(h.app).get(`${BASE}/health`).expect(200)).text);
    // The monitoring token never reads the refusals themselves.
    await request(h.app).get(`${BASE}/api/envios/erros?de=2026-01-01&ate=2030-12-31&modelos=RIA`).set(asMonitor).expect(403);

    const outputs: Array<[string, string]> = [
      ...smtp.mails.map((m): [string, string] => ['e-mail', `${m.subject}\n${m.text}`]),
      ...hook.bodies.map((b): [string, string] => ['webhook', JSON.stringify(b)]),
      ['logs', h.logs.join('\n')],
      ...reads.map((text): [string, string] => ['read', text]),
    ];
    expect(smtp.mails.length).toBeGreaterThanOrEqual(3);
    // The strings themselves, every digit run of 5 or more in them, and each 8-digit piece of those runs (a piece
    // shorter than 8 could match a timestamp or a hash by chance).
    const runs = [CNS, CPF_DIGITS, ...(`${CPF} ${FHIR_ID}`.match(/\d{5,}/g) ?? [])];
    const pieces = runs.flatMap((run) => Array.from({ length: Math.max(0, run.length - 7) }, (_, i) => run.slice(i, i + 8)));
    const forbidden = [CNS, CPF, CPF_DIGITS, FHIR_ID, '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'Identificador solicitante não autorizado: BRRNDS', 'paciente', ...runs, ...pieces];
    for (const [where, text] of outputs) {
      for (const value of forbidden) expect(text.includes(value), `${value} in the ${where}`).toBe(false);
    }
  });
});
