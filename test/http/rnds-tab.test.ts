import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, bearer, loggedIn, startHarness, type Harness } from '../support/harness.js';

const MONITORING = 'monitoramento-central-0123456789abcdef';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function enabled(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness({ files: [CERTS.aes.file], ...options });
  const enable = await request(harness.app)
    .post(`${BASE}/api/enable`)
    .set(bearer)
    .send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' });
  expect(enable.status).toBe(200);
  return harness;
}

describe('GET {base}/rnds: the RNDS tab', () => {
  it('when nothing is enabled, then the tab says PEC\'s own text, with both tabs and aria-current on RNDS', async () => {
    harness = await startHarness();
    const { agent } = await loggedIn(harness);

    const res = await agent.get(`${BASE}/rnds`).expect(200);

    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Certificado não configurado. Não há registros a serem exibidos.');
    expect(res.text).toMatch(/<a class="tabs__tab is-active" aria-current="page" href="\/gestao\/rnds\/rnds" id="aba-rnds">RNDS<\/a>/);
    expect(res.text).toMatch(/<a class="tabs__tab" href="\/gestao\/rnds\/" id="aba-certificados">Certificados<\/a>/);
    expect(res.text).not.toContain('Gerar relatório de erros');
    expect(res.text).not.toContain('<dialog');
  });

  it('when the Certificados tab is shown, then it links to the RNDS tab and keeps aria-current on itself', async () => {
    harness = await startHarness();
    const { page } = await loggedIn(harness);

    expect(page.text).toMatch(/<a class="tabs__tab is-active" aria-current="page" href="\/gestao\/rnds\/" id="aba-certificados">Certificados<\/a>/);
    expect(page.text).toMatch(/<a class="tabs__tab" href="\/gestao\/rnds\/rnds" id="aba-rnds">RNDS<\/a>/);
  });

  it('when a certificate is enabled and no send was reported, then the tab says so, shows the three accordions at 0 and the report dialog', async () => {
    const h = await enabled();

    const res = await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200);

    expect(res.text).toContain('Status do último envio');
    expect(res.text).toContain('Nenhum envio registrado');
    for (const name of [
      'Registro de Imunobiológico Administrado em: Campanha (RIA-C) ou Rotina (RIA-R)',
      'Registro de Atendimento Clínico (RAC)',
      'Registro de Prescrição de Medicamentos (RPM)',
    ]) expect(res.text).toContain(name);
    expect(res.text.match(/<details class="rnds-modelo" id="modelo-[a-z]+">/g)).toHaveLength(3);
    expect(res.text).toContain('0 registro | 0.0%');
    expect(res.text).toContain('<dialog id="dialogo-relatorio"');
    expect(res.text).toContain('Selecione o período e os registros que deseja gerar como relatório.');
    expect(res.text).toContain('0 registro neste período');
    expect(res.text).toContain(`action="${BASE}/rnds/relatorio#relatorio"`);
  });

  it('when the monitoring token asks for the tab, the report form or the counts, then each answer is 403', async () => {
    const h = await enabled({ monitoringToken: MONITORING });
    for (const path of ['/rnds', '/rnds/relatorio', '/rnds/contagens?de=2026-12-01&ate=2026-12-03']) {
      const res = await request(h.app).get(`${BASE}${path}`).set({ Authorization: `Bearer ${MONITORING}` });
      expect(res.status, path).toBe(403);
      expect(res.text).not.toContain('Status do último envio');
    }
  });

  it('when a browser without a session opens the tab, then it gets the login page', async () => {
    harness = await startHarness();
    const res = await request(harness.app).get(`${BASE}/rnds`).set('Accept', 'text/html');
    expect(res.text).toContain('name="token"');
    expect(res.text).not.toContain('Status do último envio');
  });

  it('when the filter names an unknown model or status, then the tab ignores it and shows every refusal', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds?modelo=XYZ&status=ENVIADO`).set(bearer).expect(200);
    expect(res.text).toMatch(/<option value="" selected>Todos<\/option>/);
    expect(res.text).not.toContain('Limpar filtro');
  });

  it('when the filter names a model and a status, then both stay selected and the list offers to clear it', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds?modelo=RAC&status=DADOS_INVALIDOS`).set(bearer).expect(200);
    expect(res.text).toContain('<option value="RAC" selected>RAC</option>');
    expect(res.text).toContain('<option value="DADOS_INVALIDOS" selected>Dados recusados</option>');
    expect(res.text).toContain('Nenhum registro não enviado com este filtro.');
    expect(res.text).toContain('Limpar filtro');
  });
});

describe('GET {base}/rnds/relatorio: the report form without JavaScript', () => {
  it('when opened plainly, then the form is on the page (not in a dialog) with the default period', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds/relatorio`).set(bearer).expect(200);
    expect(res.text).toContain('id="relatorio"');
    expect(res.text).not.toContain('<dialog');
    expect(res.text).toMatch(/id="relatorio-de" name="de" value="\d{2}\/\d{2}\/\d{4}"/);
  });

  it('when submitted without a model, then the form comes back (400) saying a model must be ticked, keeping the dates', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds/relatorio?de=2026-11-01&ate=2026-11-30&mascarar=1`).set(bearer);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/role="alert">Deverá ser marcado pelo menos um modelo de informação</);
    expect(res.text).toContain('value="01/11/2026"');
    expect(res.text).toMatch(/id="relatorio-mascarar" checked/);
  });

  it('when the dates are reversed or missing, then the form says which', async () => {
    const h = await enabled();
    const reversed = await request(h.app).get(`${BASE}/rnds/relatorio?de=2026-11-30&ate=2026-11-01&modelos=RAC`).set(bearer);
    expect(reversed.status).toBe(400);
    expect(reversed.text).toContain('A data final deve ser igual ou posterior à data inicial.');
    const missing = await request(h.app).get(`${BASE}/rnds/relatorio?de=&ate=2026-11-01&modelos=RAC`).set(bearer);
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Informe as duas datas do período (dd/mm/aaaa).');
  });

  it('when submitted with models (repeated as checkboxes send them), then it redirects to the CSV with modelos joined by commas', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds/relatorio?de=2026-11-01&ate=2026-11-30&modelos=RIA&modelos=RPM&mascarar=1`).set(bearer);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${BASE}/api/envios/relatorio-erros.csv?de=2026-11-01&ate=2026-11-30&modelos=RIA,RPM&mascarar=1`);
  });

  it('when the dates are typed dd/mm/aaaa as the form shows them, then the CSV gets them as aaaa-mm-dd', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds/relatorio`).query({ de: '1/11/2026', ate: '30/11/2026', modelos: 'RAC' }).set(bearer);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${BASE}/api/envios/relatorio-erros.csv?de=2026-11-01&ate=2026-11-30&modelos=RAC`);
  });

  it('when a typed date is not a real day, then the form comes back with it as typed', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds/relatorio`).query({ de: '31/02/2026', ate: '30/11/2026', modelos: 'RAC' }).set(bearer);
    expect(res.status).toBe(400);
    expect(res.text).toContain('value="31/02/2026"');
    expect(res.text).toContain('value="30/11/2026"');
    expect(res.text).toContain('Informe as duas datas do período (dd/mm/aaaa).');
  });

  it('when Marcar todos is ticked, then every model goes to the CSV', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds/relatorio?de=2026-11-01&ate=2026-11-01&todos=1`).set(bearer);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${BASE}/api/envios/relatorio-erros.csv?de=2026-11-01&ate=2026-11-01&modelos=RIA,RAC,RPM`);
  });
});

describe('GET {base}/rnds/contagens: records per model in a period', () => {
  it('when the period is typed dd/mm/aaaa, then it is read as the same days', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds/contagens`).query({ de: '01/11/2026', ate: '30/11/2026' }).set(bearer).expect(200);
    expect(res.body).toMatchObject({ de: '2026-11-01', ate: '2026-11-30' });
  });

  it('when the period is valid, then each model has a count and its text', async () => {
    const h = await enabled();
    const res = await request(h.app).get(`${BASE}/rnds/contagens?de=2026-11-01&ate=2026-11-30`).set(bearer).expect(200);
    expect(res.body).toEqual({
      de: '2026-11-01',
      ate: '2026-11-30',
      counts: { RIA: 0, RAC: 0, RPM: 0 },
      texts: { RIA: '0 registro neste período', RAC: '0 registro neste período', RPM: '0 registro neste período' },
    });
  });

  it('when a date is malformed or the period is reversed, then 400 INVALID_INPUT names the field', async () => {
    const h = await enabled();
    const bad = await request(h.app).get(`${BASE}/rnds/contagens?de=2026-02-30&ate=2026-11-30`).set(bearer);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_INPUT');
    expect(Object.keys(bad.body.error.fields)).toEqual(['de']);
    const reversed = await request(h.app).get(`${BASE}/rnds/contagens?de=2026-11-30&ate=2026-11-01`).set(bearer);
    expect(reversed.status).toBe(400);
    expect(Object.keys(reversed.body.error.fields)).toEqual(['ate']);
  });

  it('when called without a session, then it gets the login page and no counts', async () => {
    harness = await startHarness();
    const res = await request(harness.app).get(`${BASE}/rnds/contagens?de=2026-11-01&ate=2026-11-30`);
    expect(res.text).toContain('name="token"');
    expect(res.text).not.toContain('counts');
  });
});

describe('GET {base}/rnds: the alerts of the problems the sends raise', () => {
  const REPORTING = 'envios-do-pec-0123456789abcdef';
  const asReporter = { Authorization: `Bearer ${REPORTING}` };
  // As RNDS writes them, with patient data in the diagnostics: the tab's alert must not carry them.
  const CNS = '898001160660006';
  const outcome = (code: string, text: string) => ({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'processing', diagnostics: `(${code}) ${text} — paciente CNS ${CNS}` }],
  });
  let seq = 0;
  /** A direct send `seconds` after now (after the enable). */
  const send = (seconds: number, fields: Record<string, unknown>) => {
    seq += 1;
    return { envios: [{ at: new Date(Date.now() + seconds * 1000).toISOString(), model: 'RAC', recordId: `atendimento-${seq}`, ...fields }] };
  };
  const report = (h: Harness, batch: object) => request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(batch).expect(200);
  /** The tab's alerts area (the live part above Status do último envio), as served. */
  const avisos = (html: string): string => {
    const found = /<div class="stack rnds-avisos" id="rnds-avisos" data-live>([\s\S]*?)<\/div>\s*<div class="rnds-status" id="rnds-status" data-live>/.exec(html);
    expect(found, 'the alerts area right above Status do último envio').not.toBeNull();
    return found![1]!;
  };
  /** One problem's alert as a page serves it. */
  const alertOf = (html: string, code: string): string | undefined =>
    new RegExp(`<div class="alert alert--[a-z]+" role="alert" data-problem="${code}">[\\s\\S]*?</div>\\s*</div>`).exec(html)?.[0];

  it('when a direct send is refused with EHR-ERR881, then the tab shows the Certificados screen\'s alert (identificador, fix) above Status do último envio; a later delivered send takes it away', async () => {
    const h = await enabled({ reportingToken: REPORTING });
    expect(avisos((await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200)).text)).toBe('');

    await report(h, send(1, { httpStatus: 422, operationOutcome: outcome('EHR-ERR881', 'Identificador solicitante não autorizado: BRRNDS-3167') }));
    const tab = (await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200)).text;
    const area = avisos(tab);
    const alert = alertOf(area, 'RNDS_CREDENTIAL_REFUSED');
    expect(alert).toBeDefined();
    expect(alert).toContain('alert alert--danger');
    expect(alert).toContain('EHR-ERR881');
    expect(alert).toContain('identificador solicitante 3167');
    expect(alert).toContain('e-Gestor AB › Credenciais geradas');
    expect(area).not.toContain(CNS);
    // The same markup and words as the Certificados screen's alert.
    const screen = (await request(h.app).get(`${BASE}/`).set(bearer).expect(200)).text;
    expect(alertOf(screen, 'RNDS_CREDENTIAL_REFUSED')).toBe(alert);
    // Only the problems the sends raise: the fixture's expiry and the like stay on the Certificados screen.
    expect(area.match(/data-problem="([A-Z_]+)"/g)).toEqual(['data-problem="RNDS_CREDENTIAL_REFUSED"']);
    expect(tab).toContain('Falha na credencial');

    await report(h, send(2, { httpStatus: 201, rndsId: 'Composition/9' }));
    expect(avisos((await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200)).text)).toBe('');
  });

  it('when direct sends carry EHR-ERR807, then the tab shows CLOCK_SKEW as a warning with the NTP fix, without RNDS\'s diagnostics; a send without it clears it', async () => {
    const h = await enabled({ reportingToken: REPORTING });
    await report(h, send(1, { httpStatus: 422, operationOutcome: outcome('EHR-ERR807', 'Data do documento anterior ao permitido') }));
    const area = avisos((await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200)).text);
    const alert = alertOf(area, 'CLOCK_SKEW');
    expect(alert).toContain('alert alert--alert');
    expect(alert).toContain('EHR-ERR807');
    expect(alert).toContain('timedatectl set-ntp true');
    expect(alert).toContain('w32tm /resync');
    expect(area).not.toContain(CNS);
    expect(area).not.toContain('RNDS_CREDENTIAL_REFUSED');
    const screen = (await request(h.app).get(`${BASE}/`).set(bearer).expect(200)).text;
    expect(alertOf(screen, 'CLOCK_SKEW')).toBe(alert);

    await report(h, send(2, { httpStatus: 201 }));
    expect(avisos((await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200)).text)).toBe('');
  });
});
