/**
 * End to end: a host like PEC's backend (test/doubles/host.ts) builds real FHIR Bundles with the citizen's CNS or CPF,
 * gets its RNDS token from the module, posts them over mutual TLS to the RNDS services double
 * (test/doubles/rnds-services.ts, which validates them like RNDS and answers 201 or an OperationOutcome) and reports
 * each outcome to the module — embedded through `recordSends()`, standalone through `POST /api/envios` with the
 * reporting token. What is asserted is what people see: the summary, the RNDS tab, the refusals with their advice,
 * the Status and its fix, *Sem conexão*; and that the citizens' numbers reach none of the places the monitoring
 * token, the logs or the Status expose.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MONITORING_PATHS } from '../../module/http/routes.js';
import { explain } from '../../module/rnds/dictionary.js';
import { createHostDouble, type HostDouble, type HostRecord } from '../doubles/host.js';
import { startRndsServicesDouble, type RndsServicesDouble } from '../doubles/rnds-services.js';
import { buildBundle } from '../doubles/fhir-documents.js';
import { caFile, fixtureBytes } from '../support/fixtures.js';
import { BASE, CERTS, TOKEN, bearer, loggedIn, startHarness, type Harness } from '../support/harness.js';
import { rndsDoubleForFile } from '../support/mutual-tls.js';

const IDENTIFICADOR = '3167';
const WRONG_IDENTIFICADOR = '3168';
const REPORTING = 'envios-do-pec-0123456789abcdef';
const MONITORING = 'monitoramento-central-0123456789abcdef';
const CNES = '2204681';
const PROFESSIONAL_CNS = '980016287385192';

/** Citizens of the day: CADSUS knows all but the last two. */
const PATIENTS = {
  ana: { cns: '702804735236560' },
  bruno: { cns: '898001160659121' },
  carla: { cpf: '52998224725' },
  davi: { cns: '700009488361207' },
  elisa: { cpf: '39053344705' },
  unknownCns: { cns: '708402770135396' },
  unknownCpf: { cpf: '86288366757' },
} as const;
const EVERY_NUMBER = Object.values(PATIENTS).map((p) => ('cns' in p ? p.cns : p.cpf));

const shared = rndsDoubleForFile({ trustFixtures: true });
let services: RndsServicesDouble;
let harness: Harness | undefined;
let listening: http.Server | undefined;

beforeAll(async () => {
  services = await startRndsServicesDouble({ pki: shared.pki, auth: shared.double, extraClientCaPem: caFile('root') });
});
afterAll(async () => {
  await services.close();
});
afterEach(async () => {
  await services.setScenario('normal');
  services.reset();
  services.authorizedSolicitantes.clear();
  services.unknownPatients.clear();
  await new Promise<void>((resolve) => (listening ? listening.close(() => resolve()) : resolve()));
  listening = undefined;
  await harness?.close();
  harness = undefined;
});

async function enabledModule(identificadorSolicitante = IDENTIFICADOR): Promise<Harness> {
  harness = await startHarness({
    files: [CERTS.aes.file],
    authUrlProducao: shared.double.url,
    authUrlHomologacao: shared.double.url,
    rndsCa: shared.double.trustedCa.join('\n'),
    reportingToken: REPORTING,
    monitoringToken: MONITORING,
  });
  await enable(harness, identificadorSolicitante);
  services.authorizedSolicitantes.add(IDENTIFICADOR);
  services.unknownPatients.add(PATIENTS.unknownCns.cns).add(PATIENTS.unknownCpf.cpf);
  return harness;
}

async function enable(h: Harness, identificadorSolicitante: string): Promise<void> {
  await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante }).expect(200);
}

const hostOptions = () => ({
  services: { url: services.url, ca: services.trustedCa },
  certificate: { pfx: fixtureBytes(CERTS.aes.file), passphrase: CERTS.aes.password },
  cnes: CNES,
  professionalCns: PROFESSIONAL_CNS,
});

/** The module served over a real port, with the host reporting as a standalone installation's PEC does. */
async function standaloneHost(h: Harness): Promise<HostDouble> {
  listening = http.createServer(h.app);
  await new Promise<void>((resolve) => listening!.listen(0, '127.0.0.1', resolve));
  const { port } = listening.address() as AddressInfo;
  return createHostDouble({ ...hostOptions(), module: { baseUrl: `http://127.0.0.1:${port}${BASE}`, accessToken: TOKEN, reportingToken: REPORTING } });
}

/** The period around today in every zone (the sends are dated now). */
function periodAroundToday(): { de: string; ate: string } {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  return { de: day(-1), ate: day(1) };
}

/** The text of an element by id, tags removed and spaces collapsed: what a person reads there. */
function textOf(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) throw new Error(`#${id} is not on the page`);
  const open = html.lastIndexOf('<', start);
  const tag = /^<([a-z0-9]+)/.exec(html.slice(open))![1]!;
  let depth = 0;
  const re = new RegExp(`<(/?)${tag}\\b[^>]*>`, 'g');
  re.lastIndex = open;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return html.slice(open, m.index + m[0].length).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  }
  throw new Error(`#${id} is not closed`);
}

/** A day at a UBS: vaccinations (routine and campaign), attendances and a prescription, two citizens CADSUS lacks. */
const DAY: HostRecord[] = [
  { model: 'RIA-R', recordId: `${CNES}-ria-1`, patient: PATIENTS.ana },
  { model: 'RIA-R', recordId: `${CNES}-ria-2`, patient: PATIENTS.carla },
  { model: 'RIA-C', recordId: `${CNES}-ria-3`, patient: PATIENTS.bruno },
  { model: 'RIA-R', recordId: `${CNES}-ria-4`, patient: PATIENTS.unknownCns },
  { model: 'RAC', recordId: `${CNES}-rac-1`, patient: PATIENTS.davi },
  { model: 'RAC', recordId: `${CNES}-rac-2`, patient: PATIENTS.elisa },
  // PEC sends rac-2 again (its answer was lost): RNDS already has the identifier.
  { model: 'RAC', recordId: `${CNES}-rac-2`, patient: PATIENTS.elisa },
  { model: 'RAC', recordId: `${CNES}-rac-3`, patient: PATIENTS.unknownCpf },
  { model: 'RPM', recordId: `${CNES}-rpm-1`, patient: PATIENTS.ana },
];

describe('a host sends a day of FHIR documents to RNDS and reports each outcome', () => {
  it('when the host sends embedded, then the summary, the tab and the refusals show what reached RNDS, a duplicate counted as delivered', async () => {
    const h = await enabledModule();
    const host = createHostDouble({ ...hostOptions(), module: h.rnds });

    const results = await host.sendAll(DAY);

    // What RNDS saw: every document over mutual TLS with the enabled certificate, the token the module got, the
    // professional's CNS, the identificador solicitante in the Bundle's identifier.
    expect(services.requests).toHaveLength(DAY.length);
    for (const seen of services.requests) {
      expect(seen.clientCommonName).toBe('PREFEITURA MUNICIPAL DE TESTE:12345678000190');
      expect(shared.double.issuedTokens).toContain(String(seen.headers['x-authorization-server']).replace(/^Bearer /, ''));
      expect(seen.headers.authorization).toBe(PROFESSIONAL_CNS);
      expect(seen.body).toMatchObject({ resourceType: 'Bundle', type: 'document', identifier: { system: `http://www.saude.gov.br/fhir/r4/NamingSystem/BRRNDS-${IDENTIFICADOR}` } });
    }
    expect(services.requests.map((r) => r.answer?.status)).toEqual([201, 201, 201, 422, 201, 201, 422, 422, 201]);
    expect(services.accepted.map((d) => d.model)).toEqual(['RIA-R', 'RIA-R', 'RIA-C', 'RAC', 'RAC', 'RPM']);
    // Each outcome reported as received: the Location as rndsId, the OperationOutcome untouched.
    expect(results[0]!.send).toMatchObject({ httpStatus: 201, rndsId: `Composition/${services.accepted[0]!.rndsId}` });
    expect(results[6]!.send.operationOutcome).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'duplicate', diagnostics: '(EDS-MSG010) Identifier duplicado.' }] });
    expect(results.map((r) => r.report)).toEqual(DAY.map(() => ({ accepted: 1, duplicates: 0 })));

    const summary = await request(h.app).get(`${BASE}/api/envios`).set(bearer).expect(200);
    expect(summary.body.models).toEqual([
      { model: 'RIA', total: 4, sent: 3, notSent: 1 },
      { model: 'RAC', total: 3, sent: 2, notSent: 1 },
      { model: 'RPM', total: 1, sent: 1, notSent: 0 },
    ]);
    // Refused data is still a connection that worked: PEC's words are about the connection only.
    expect(summary.body.lastSend).toMatchObject({ model: 'RPM', status: 'ok', message: 'Conexão bem-sucedida' });

    const { agent } = await loggedIn(h);
    const tab = (await agent.get(`${BASE}/rnds`).expect(200)).text;
    expect(textOf(tab, 'rnds-status')).toContain('Status do último envio Conexão bem-sucedida');
    expect(textOf(tab, 'modelo-ria')).toBe(
      'Registro de Imunobiológico Administrado em: Campanha (RIA-C) ou Rotina (RIA-R) 4 registros Total de enviados 3 registros | 75.0% Total de não enviados 1 registro',
    );
    expect(textOf(tab, 'modelo-rac')).toBe('Registro de Atendimento Clínico (RAC) 3 registros Total de enviados 2 registros | 66.6% Total de não enviados 1 registro');
    expect(textOf(tab, 'modelo-rpm')).toBe('Registro de Prescrição de Medicamentos (RPM) 1 registro Total de enviados 1 registro | 100.0% Total de não enviados 0 registro');
    // The admin sees the refusals with RNDS's own text and the dictionary's advice.
    const refusals = textOf(tab, 'rnds-recusas-lista');
    expect(refusals).toContain(`(EHR-ERR983) Paciente não encontrado: Patient/${PATIENTS.unknownCpf.cpf}`);
    expect(refusals).toContain(`(EHR-ERR983) Paciente não encontrado: Patient/${PATIENTS.unknownCns.cns}`);

    const errors = await request(h.app).get(`${BASE}/api/envios/erros`).query({ ...periodAroundToday(), modelos: 'RIA,RAC,RPM' }).set(bearer).expect(200);
    const advice = explain('EHR-ERR983');
    const list = errors.body.erros as Array<Record<string, unknown>>;
    expect(list.map((e) => [e.model, e.recordId, e.status, e.codes, e.action, e.group])).toEqual([
      ['RAC', `${CNES}-rac-3`, 'DADOS_INVALIDOS', ['EHR-ERR983'], advice.action, advice.groupLabel],
      ['RIA-R', `${CNES}-ria-4`, 'DADOS_INVALIDOS', ['EHR-ERR983'], advice.action, advice.groupLabel],
    ]);
    expect(advice.action).toMatch(/CADSUS/);
  });

  it('when RNDS refuses the identificador solicitante, then the Status carries RNDS_CREDENTIAL_REFUSED naming it; enabling the right one and the next accepted send clear it', async () => {
    const h = await enabledModule(WRONG_IDENTIFICADOR);
    const host = await standaloneHost(h);

    const refused = await host.send({ model: 'RAC', recordId: `${CNES}-rac-10`, patient: PATIENTS.davi });

    expect(services.requests[0]!.answer).toMatchObject({ status: 403, diagnostics: [`(EHR-ERR881) O solicitante não possui autorização para utilizar esse sistema de origem: BRRNDS-${WRONG_IDENTIFICADOR}`] });
    expect(refused.send).toMatchObject({ httpStatus: 403, operationOutcome: { resourceType: 'OperationOutcome' } });
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body.state).toBe('degraded');
    const problem = status.body.problems.find((p: { code: string }) => p.code === 'RNDS_CREDENTIAL_REFUSED');
    expect(problem).toMatchObject({ severity: 'critical' });
    expect(problem.message).toContain('EHR-ERR881');
    expect(problem.message).toContain(`identificador solicitante ${WRONG_IDENTIFICADOR}`);
    expect(problem.message).toContain('e-Gestor AB › Credenciais geradas');
    const { agent } = await loggedIn(h);
    const screen = (await agent.get(`${BASE}/`).expect(200)).text;
    expect(screen).toContain('data-problem="RNDS_CREDENTIAL_REFUSED"');
    expect(screen).toContain(`identificador solicitante ${WRONG_IDENTIFICADOR}`);
    const tab = (await agent.get(`${BASE}/rnds`).expect(200)).text;
    expect(textOf(tab, 'rnds-status-palavras')).toBe('Falha no certificado');
    // The reporting token reports and does nothing else.
    await request(h.app).get(`${BASE}/api/token`).set({ Authorization: `Bearer ${REPORTING}` }).expect(403);

    await enable(h, IDENTIFICADOR);
    const accepted = await host.send({ model: 'RAC', recordId: `${CNES}-rac-10`, patient: PATIENTS.davi });

    expect(accepted.send).toMatchObject({ httpStatus: 201, rndsId: expect.stringMatching(/^Composition\//) });
    expect(services.requests[1]!.body).toMatchObject({ identifier: { system: `http://www.saude.gov.br/fhir/r4/NamingSystem/BRRNDS-${IDENTIFICADOR}` } });
    const after = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(after.body.problems.map((p: { code: string }) => p.code)).not.toContain('RNDS_CREDENTIAL_REFUSED');
    expect(after.body.state).toBe('enabled');
    const tabAfter = (await agent.get(`${BASE}/rnds`).expect(200)).text;
    expect(textOf(tabAfter, 'rnds-status-palavras')).toBe('Conexão bem-sucedida');
    expect(textOf(tabAfter, 'modelo-rac')).toContain('Total de enviados 1 registro | 100.0%');
  });

  it('when RNDS refuses the token itself, then the host posts nothing, reports certificate-failure and the tab says Falha no certificado', async () => {
    const h = await enabledModule();
    const host = await standaloneHost(h);
    shared.double.setScenario('forbidden');

    const result = await host.send({ model: 'RPM', recordId: `${CNES}-rpm-30`, patient: PATIENTS.carla });

    expect(result.send).toMatchObject({ failure: 'certificate-failure', detail: 'RNDS_CERTIFICATE_REJECTED' });
    expect(services.requests).toHaveLength(0);
    const tab = (await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200)).text;
    expect(textOf(tab, 'rnds-status-palavras')).toBe('Falha no certificado');
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body.problems.map((p: { code: string }) => p.code)).toContain('RNDS_CREDENTIAL_REFUSED');
  });

  it('when the services are down, answer 503 or never answer, then the host reports no connection and the tab says Sem conexão until a send gets through', async () => {
    const h = await enabledModule();
    const host = await standaloneHost(h);
    const lastSendWords = async () => textOf((await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200)).text, 'rnds-status-palavras');

    await services.setScenario('down');
    const refusedConnection = await host.send({ model: 'RIA-R', recordId: `${CNES}-ria-20`, patient: PATIENTS.ana });
    expect(refusedConnection.send).toMatchObject({ failure: 'no-connection', detail: 'ECONNREFUSED' });
    expect(await lastSendWords()).toBe('Sem conexão');

    await services.setScenario('unavailable');
    const unavailable = await host.send({ model: 'RIA-R', recordId: `${CNES}-ria-20`, patient: PATIENTS.ana });
    expect(unavailable.send).toMatchObject({ httpStatus: 503 });
    expect(await lastSendWords()).toBe('Sem conexão');
    const summary = await request(h.app).get(`${BASE}/api/envios`).set(bearer).expect(200);
    expect(summary.body.lastSend).toMatchObject({ status: 'no-connection', message: 'Sem conexão' });
    expect(summary.body.models[0]).toEqual({ model: 'RIA', total: 1, sent: 0, notSent: 1 });

    // A services host that accepts and never answers: the host gives up after its own limit (RNDS never answers here,
    // so the limit's length decides nothing but how long the test takes).
    await services.setScenario('no-answer');
    const impatient = createHostDouble({ ...hostOptions(), module: h.rnds, timeoutMs: 50 });
    const silent = await impatient.send({ model: 'RIA-R', recordId: `${CNES}-ria-20`, patient: PATIENTS.ana });
    expect(silent.send).toMatchObject({ failure: 'no-connection', detail: 'ETIMEDOUT' });
    expect(await lastSendWords()).toBe('Sem conexão');

    await services.setScenario('normal');
    await host.send({ model: 'RIA-R', recordId: `${CNES}-ria-20`, patient: PATIENTS.ana });
    expect(await lastSendWords()).toBe('Conexão bem-sucedida');
    expect((await request(h.app).get(`${BASE}/api/envios`).set(bearer).expect(200)).body.models[0]).toEqual({ model: 'RIA', total: 1, sent: 1, notSent: 0 });
  });

  it('when a day of sends with refusals was reported, then no CNS or CPF reaches the logs, the Status, the metrics or anything the monitoring token reads; the admin tab shows them', async () => {
    const h = await enabledModule();
    const host = createHostDouble({ ...hostOptions(), module: h.rnds });
    await host.sendAll(DAY);
    // The numbers really were in what went to RNDS and came back, so their absence below means something.
    const sent = JSON.stringify(services.requests.map((r) => r.body)) + JSON.stringify(host.reported);
    for (const number of EVERY_NUMBER) expect(sent).toContain(number);

    const asMonitor = { Authorization: `Bearer ${MONITORING}` };
    const readable: string[] = [];
    for (const path of MONITORING_PATHS) {
      const res = await request(h.app).get(`${BASE}${path}`).set(asMonitor);
      expect(res.status, path).toBe(200);
      readable.push(res.text);
    }
    for (const path of ['/api/envios/erros?de=2026-01-01&ate=2030-12-31&modelos=RIA,RAC,RPM', '/api/envios/relatorio-erros.csv?de=2026-01-01&ate=2030-12-31&modelos=RIA', '/rnds']) {
      const res = await request(h.app).get(`${BASE}${path}`).set(asMonitor);
      expect(res.status, path).toBe(403);
      readable.push(res.text);
    }
    readable.push(JSON.stringify(h.rnds.status()), (await request(h.app).get(`${BASE}/health`)).text, (await request(h.app).get(`${BASE}/api/status`).set(bearer)).text, h.logs.join('\n'));
    const everything = readable.join('\n');
    for (const number of EVERY_NUMBER) expect(everything, number).not.toContain(number);

    const tab = (await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200)).text;
    expect(tab).toContain(PATIENTS.unknownCns.cns);
  });

  it('when a request breaks what RNDS checks, then the services double refuses it as RNDS does (certificate, token, professional, profile)', async () => {
    const h = await enabledModule();
    const token = (await h.rnds.getToken()).accessToken;
    const bundle = buildBundle(DAY[0]!, { identificadorSolicitante: IDENTIFICADOR, cnes: CNES, professionalCns: PROFESSIONAL_CNS, now: new Date() });
    const tls = { pfx: fixtureBytes(CERTS.aes.file), passphrase: CERTS.aes.password };
    const headers = { 'content-type': 'application/json', 'x-authorization-server': `Bearer ${token}`, authorization: PROFESSIONAL_CNS };
    const post = (body: unknown, extra: { headers?: Record<string, string>; tls?: object } = {}) =>
      new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
        const req = https.request(`${services.url}/fhir/r4/Bundle`, { method: 'POST', ca: services.trustedCa, agent: false, ...(extra.tls ?? tls), headers: { ...headers, ...extra.headers } });
        req.on('error', (e: Error & { code?: string }) => resolve({ error: e.code ?? e.message }));
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.end(JSON.stringify(body));
      });
    const untrusted = shared.pki.clients.untrusted;

    expect(await post(bundle, { tls: { key: untrusted.keyPem, cert: untrusted.certPem } })).toMatchObject({ error: expect.any(String) });
    expect(services.tlsErrors).toHaveLength(1);
    expect(await post(bundle, { headers: { 'x-authorization-server': 'Bearer eyJ-nao-emitido' } })).toMatchObject({ status: 401, body: expect.stringContaining('(EHR-ERR884)') });
    expect(await post(bundle, { headers: { authorization: '' } })).toMatchObject({ status: 400 });
    expect(await post(bundle, { headers: { 'content-type': 'text/plain' } })).toMatchObject({ status: 415 });
    const composition = (bundle.entry as Array<{ resource: { meta: { profile: string[] } } }>)[0]!.resource;
    composition.meta.profile = ['http://www.saude.gov.br/fhir/r4/StructureDefinition/BRRegistroInventado-1.0'];
    expect(await post(bundle)).toMatchObject({ status: 422, body: expect.stringContaining('(VAL-PROFILE)') });
    expect(services.accepted).toHaveLength(0);
  });
});
