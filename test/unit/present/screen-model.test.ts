/**
 * The screen's view-model: from a Status (and what the request carries) to the values the views place. Each test
 * builds a Status as the module would report it and reads the decision from the model, not from HTML.
 */
import { describe, expect, it } from 'vitest';
import { lookAlikeNames } from '../../../module/chaves/index.js';
import { REQUIRED_MESSAGES } from '../../../module/enablement/index.js';
import { PEC_CHAVES_PATHS } from '../../../module/config/options.js';
import {
  certificadosRegion,
  disablePageModel,
  guideModel,
  loginModel,
  pageModel,
  regions,
  type FormInput,
  type ScreenInput,
} from '../../../module/present/screen-model.js';
import { GUIDE_PATH, renewalReminder } from '../../../module/enablement/renewal-reminder.js';
import type { CertificateSummary, Connection, Entry, EnabledInfo, Problem, Status } from '../../../module/types.js';

const TZ = 'America/Sao_Paulo';

const entry = (file: string, status: Entry['status'] = 'ready', reason?: string): Entry => ({ file, size: 3000, modifiedAt: '2026-01-01T00:00:00Z', status, ...(reason ? { reason } : {}) });

const certificate = (over: Partial<CertificateSummary> = {}): CertificateSummary => ({
  subject: 'CN=PREFEITURA X:12345678000190',
  commonName: 'PREFEITURA X:12345678000190',
  cnpj: '12345678000190',
  razaoSocial: 'PREFEITURA DE X',
  issuer: 'CN=AC SOLUTI Multipla v5, O=ICP-Brasil, C=BR',
  serialNumber: '01',
  notBefore: '2026-01-01T00:00:00Z',
  notAfter: '2027-01-10T15:00:00Z',
  daysLeft: 200,
  sha256: 'ab'.repeat(32),
  ...over,
});

const enabledInfo = (over: Partial<EnabledInfo> = {}): EnabledInfo => ({
  file: 'a.pfx',
  identificadorSolicitante: '3167',
  services: ['RNDS', 'CADSUS'],
  environment: 'producao',
  enabledAt: '2026-02-01T12:00:00Z',
  certificate: certificate(),
  ...over,
});

const connection = (over: Partial<Connection> = {}): Connection => ({
  status: 'ok',
  message: 'Conexão bem-sucedida',
  detail: 'A RNDS aceitou o certificado.',
  checkedAt: '2026-02-02T13:04:00Z',
  environment: 'producao',
  ...over,
});

function status(over: Partial<Status> = {}): Status {
  return {
    state: 'disabled',
    contraChave: 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ12-3456',
    contraChaveOrigin: 'instalacao',
    chavesDir: { path: '/srv/chaves', exists: true, readable: true },
    certificates: [entry('a.pfx')],
    enabled: null,
    connection: null,
    problems: [],
    ...over,
  };
}

function input(st: Status, over: Partial<ScreenInput> = {}): ScreenInput {
  return {
    status: st,
    timeZone: TZ,
    base: '/rnds',
    csrfToken: 'token-csrf',
    loginEnabled: true,
    defaultEnvironment: 'producao',
    connectionTesting: false,
    fieldIds: { file: 'certificado', password: 'senha', identificadorSolicitante: 'identificador', services: 'servico-rnds', environment: 'ambiente' },
    requiredMessages: REQUIRED_MESSAGES,
    paths: PEC_CHAVES_PATHS,
    guidePath: GUIDE_PATH,
    reminder: renewalReminder(st, TZ),
    lookAlikes: lookAlikeNames(st.certificates.map((e) => e.file)),
    ...over,
  };
}

const expiring: Problem = { code: 'CERTIFICATE_EXPIRING', severity: 'warning', message: 'O certificado vence em breve.' };
const expired: Problem = { code: 'CERTIFICATE_EXPIRED', severity: 'critical', message: 'O certificado venceu.' };

describe('the Habilitar form', () => {
  it('when nothing is enabled, then the form is open, empty, with no service ticked and the default environment', () => {
    const m = pageModel(input(status()));
    expect(m.formOpen).toBe(true);
    expect(m.errorSummary).toBeNull();
    expect(m.fields.services.options.map((o) => o.checked)).toEqual([false, false]);
    expect(m.fields.environment.options.filter((o) => o.selected).map((o) => o.value)).toEqual(['producao']);
    expect(m.fields.environment.open).toBe(false);
    expect(m.fields.password).toEqual({ describedBy: 'erro-password', invalid: false, error: '', errorHidden: true });
  });

  it('when a certificate is enabled, then the form stays behind "Substituir certificado" and keeps the enabled environment', () => {
    const m = pageModel(input(status({ state: 'enabled', enabled: enabledInfo({ environment: 'homologacao' }) })));
    expect(m.formOpen).toBe(false);
    expect(m.fields.environment.options.find((o) => o.selected)?.value).toBe('homologacao');
    // Homologação is not the usual: "Avançado" shows what is chosen.
    expect(m.fields.environment.open).toBe(true);
  });

  it('when the form was refused on several fields, then the summary links each error to its field in the order of the form', () => {
    const form: FormInput = {
      values: { file: 'a.pfx', identificadorSolicitante: '31<67', services: ['RNDS'], environment: 'producao' },
      errors: { password: 'Senha incorreta.', services: 'Escolha ao menos um serviço.' },
    };
    const m = pageModel(input(status({ state: 'enabled', enabled: enabledInfo() }), { form }));
    expect(m.formOpen).toBe(true);
    expect(m.errorSummary).toEqual({
      formError: null,
      links: [
        { field: 'services', href: '#servico-rnds', text: 'Escolha ao menos um serviço.' },
        { field: 'password', href: '#senha', text: 'Senha incorreta.' },
      ],
    });
    expect(m.fields.password).toMatchObject({ invalid: true, error: 'Senha incorreta.', errorHidden: false });
    expect(m.fields.file).toMatchObject({ describedBy: 'pasta-aviso arquivos-motivos erro-file', invalid: false, errorHidden: true });
    expect(m.fields.identificadorSolicitante.value).toBe('31<67');
    expect(m.fields.services.options.map((o) => [o.value, o.checked])).toEqual([
      ['RNDS', true],
      ['CADSUS', false],
    ]);
  });

  it('when the refusal names no field, then the summary says it in one sentence and lists no link', () => {
    const m = pageModel(input(status(), { form: { values: { services: [], environment: 'producao' }, errors: {}, formError: 'Não foi possível ler o arquivo.' } }));
    expect(m.errorSummary).toEqual({ formError: 'Não foi possível ler o arquivo.', links: [] });
  });

  it('when the environment itself was refused, then "Avançado" opens on it', () => {
    const m = pageModel(input(status(), { form: { values: { services: [], environment: 'producao' }, errors: { environment: 'Ambiente inválido.' } } }));
    expect(m.fields.environment).toMatchObject({ open: true, invalid: true, describedBy: 'ambiente-dica erro-environment' });
  });
});

describe('the notice of the last action', () => {
  it.each([
    ['success', 'success', 'status'],
    ['info', 'info', 'status'],
    ['alert', 'alert', 'alert'],
    ['danger', 'danger', 'alert'],
    ['outro', 'info', 'status'],
  ])('when the notice is of type %s, then its icon is %s and a screen reader gets it as %s', (type, icon, role) => {
    expect(pageModel(input(status(), { notice: { type, text: 'Feito.' } })).notice).toEqual({ type, icon, role, text: 'Feito.' });
  });

  it('when the notice has no text, then none is shown', () => {
    expect(pageModel(input(status(), { notice: { type: 'info', text: '' } })).notice).toBeNull();
  });
});

describe("the installation's contra-chave", () => {
  it('when the contra-chave is a generated one, then the screen asks for the real one and its hint is in the alert colour', () => {
    const m = pageModel(input(status({ contraChaveOrigin: 'gerada' })));
    expect(m.installationContraChave).toEqual({ value: '', invalid: false, error: '', errorHidden: true });
    expect(m.regions['contra-chave']).toMatchObject({ generated: true, hint: expect.stringContaining('Gerada para teste') });
  });

  it('when the installation one is set, then nothing is asked and the hint says whose it is', () => {
    const m = pageModel(input(status()));
    expect(m.installationContraChave).toBeNull();
    expect(m.regions['contra-chave']).toMatchObject({ generated: false, hint: 'Contra-chave desta instalação.' });
  });

  it('when the typed contra-chave was refused, then the form stays with what was typed and why', () => {
    const m = pageModel(input(status(), { contraChaveForm: { value: 'abc', error: 'Formato inválido.' } }));
    expect(m.installationContraChave).toEqual({ value: 'abc', invalid: true, error: 'Formato inválido.', errorHidden: false });
  });
});

describe('the alerts and the chaves folder', () => {
  it('when the Status has a warning and a critical problem, then the warning is in the alert colour and the critical one in danger', () => {
    const m = pageModel(input(status({ problems: [{ code: 'CONTRA_CHAVE_NOT_CONFIGURED', severity: 'warning', message: 'W' }, expired] })));
    expect(m.regions.avisos.problems).toEqual([
      { code: 'CONTRA_CHAVE_NOT_CONFIGURED', tone: 'alert', message: 'W' },
      { code: 'CERTIFICATE_EXPIRED', tone: 'danger', message: 'O certificado venceu.' },
    ]);
  });

  it.each([
    ['missing', { exists: false, readable: false }, [entry('a.pfx')], 'alert', 'não existe'],
    ['unreadable', { exists: true, readable: false }, [entry('a.pfx')], 'alert', 'não tem permissão'],
    ['empty', { exists: true, readable: true }, [], 'info', 'Nenhum certificado na pasta'],
  ] as const)('when the folder is %s, then the folder notice says so around its path', (kind, dir, certificates, tone, words) => {
    const m = pageModel(input(status({ chavesDir: { path: '/srv/\u202echaves', ...dir }, certificates: [...certificates] })));
    expect(m.regions.pasta).toMatchObject({ kind, tone, hidden: false });
    expect(m.regions.pasta.message!.before + m.regions.pasta.message!.after).toContain(words);
    // The path is shown with its hidden characters made visible.
    expect(m.regions.pasta.message!.path).toBe('/srv/\\u{202E}chaves');
  });

  it('when the folder holds a file, then the folder notice is there but hidden', () => {
    expect(pageModel(input(status())).regions.pasta).toMatchObject({ kind: '', hidden: true, message: null });
  });
});

describe('the certificate list', () => {
  const files = [entry('a.pfx'), entry('caf\u00e9.pfx'), entry('cafe\u0301.pfx'), entry('meio.pfx', 'incomplete'), entry('x.cer', 'unusable', 'É um certificado sem a chave privada.')];

  it('when files cannot be chosen, then they are disabled with a short reason, and listed below with the long one', () => {
    const m = pageModel(input(status({ certificates: files })));
    expect(m.regions.certificados.placeholder).toBe('Selecione');
    expect(m.regions.certificados.options.map((o) => [o.value, o.disabled, o.label])).toEqual([
      ['a.pfx', false, 'a.pfx'],
      ['caf\u00e9.pfx', true, 'caf\u00e9.pfx — outro arquivo tem o mesmo nome aparente: renomeie um deles'],
      ['cafe\u0301.pfx', true, 'cafe\u0301.pfx — outro arquivo tem o mesmo nome aparente: renomeie um deles'],
      ['meio.pfx', true, 'meio.pfx — copiando…'],
      ['x.cer', true, 'x.cer — não pode ser usado'],
    ]);
    expect(m.regions.motivos).toMatchObject({ hidden: false });
    expect(m.regions.motivos.items.map((i) => [i.file, i.reason])).toEqual([
      ['meio.pfx', 'copiando…'],
      ['x.cer', 'É um certificado sem a chave privada.'],
    ]);
  });

  it('when no file can be chosen, then the placeholder says so and the reasons list is there', () => {
    const m = pageModel(input(status({ certificates: [entry('meio.pfx', 'incomplete')] })));
    expect(m.regions.certificados.placeholder).toBe('Nenhum certificado disponível');
  });

  it('when every file can be chosen, then the reasons list is hidden', () => {
    expect(pageModel(input(status())).regions.motivos).toMatchObject({ hidden: true, items: [] });
  });

  it('when the refused form had chosen a file, then it is selected on the page but the version is the one of the list without a choice', () => {
    const st = status({ certificates: files });
    const form: FormInput = { values: { file: 'a.pfx', services: [], environment: 'producao' }, errors: { password: 'Senha incorreta.' } };
    const page = pageModel(input(st, { form })).regions.certificados;
    expect(page.options.filter((o) => o.selected).map((o) => o.value)).toEqual(['a.pfx']);
    expect(page.version).toBe(regions(input(st)).certificados.version);
    // A file that cannot be chosen is never shown as chosen.
    expect(certificadosRegion(files, lookAlikeNames(files.map((f) => f.file)), 'meio.pfx').options.some((o) => o.selected)).toBe(false);
  });

  it('when a ready file arrives in the folder, then only the certificate list gets a new version', () => {
    const before = regions(input(status()));
    const after = regions(input(status({ certificates: [entry('a.pfx'), entry('b.pfx')] })));
    const changed = Object.keys(before).filter((name) => before[name as keyof typeof before].version !== after[name as keyof typeof after].version);
    expect(changed).toEqual(['certificados']);
  });
});

describe('the enabled certificate', () => {
  it('when it is enabled and far from expiry, then the tag says Habilitado and the days left are in the secondary colour', () => {
    const en = pageModel(input(status({ state: 'enabled', enabled: enabledInfo() }))).regions.estado.enabled!;
    expect(en.tag).toEqual({ tone: 'success', text: 'Habilitado' });
    expect(en.validity).toEqual({ className: 'text-secondary', text: 'faltam 200 dias' });
    expect(en).toMatchObject({ titular: 'PREFEITURA DE X', cnpj: '12.345.678/0001-90', issuer: 'AC SOLUTI Multipla v5', services: 'RNDS e CADSUS', environment: 'Produção' });
    expect(en.enabledAt).toBe('01/02/2026');
    expect(en.disableText).toEqual({ services: 'a RNDS e o CADSUS', file: 'a.pfx' });
  });

  it('when it is expiring, then the days left are in the alert colour and the reminder is an alert: the expiry\'s alert, which the panel points to', () => {
    const st = status({ state: 'enabled', enabled: enabledInfo({ certificate: certificate({ daysLeft: 12 }) }), problems: [expiring] });
    const regions = pageModel(input(st)).regions;
    expect(regions.estado.enabled!.validity).toEqual({ className: 'text-alert', text: 'faltam 12 dias' });
    const alert = regions.avisos.problems.find((p) => p.code === 'CERTIFICATE_EXPIRING')!;
    expect(alert).toMatchObject({ tone: 'alert', message: expiring.message, renewal: { guideHref: '/rnds/guia' } });
    expect(alert.renewal!.steps.length).toBeGreaterThan(0);
    // Said once: the panel does not repeat the date, and there is no reminder box of its own.
    expect(regions.estado.enabled!.validityInAlert).toBe(true);
    expect(regions.estado).not.toHaveProperty('reminder');
  });

  it('when it expired today, then the tag says Com problema, the days left read "venceu hoje" in danger and the reminder is danger', () => {
    const st = status({ state: 'degraded', enabled: enabledInfo({ certificate: certificate({ daysLeft: 0, razaoSocial: null, cnpj: null }) }), problems: [expired] });
    const regions = pageModel(input(st)).regions;
    const estado = regions.estado;
    expect(estado.enabled!.tag).toEqual({ tone: 'danger', text: 'Com problema' });
    expect(estado.enabled!.validity).toEqual({ className: 'text-danger', text: 'venceu hoje' });
    expect(estado.enabled!.validityInAlert).toBe(false); // the panel says why it is "Com problema"
    expect(estado.enabled!.titular).toBe('PREFEITURA X:12345678000190');
    expect(estado.enabled!.cnpj).toBe('—');
    const alert = regions.avisos.problems.find((p) => p.code === 'CERTIFICATE_EXPIRED')!;
    expect(alert.tone).toBe('danger');
    expect(alert.renewal!.steps.length).toBeGreaterThan(0);
  });

  it('when it is far from expiry, then no alert carries renewal steps and the panel shows the date itself', () => {
    const regions = pageModel(input(status({ state: 'enabled', enabled: enabledInfo() }))).regions;
    expect(regions.avisos.problems).toEqual([]);
    expect(regions.estado.enabled!.validityInAlert).toBe(false);
  });

  it('when no service is recorded, then the disable text still names the RNDS', () => {
    expect(disablePageModel(input(status({ state: 'enabled', enabled: enabledInfo({ services: [] }) }))).disableText).toEqual({ services: 'a RNDS', file: 'a.pfx' });
  });

  it('when a renewed certificate is in the folder, then the offer says which file, its CNPJ, who issued it and until when it is valid', () => {
    const st = status({
      state: 'enabled',
      enabled: enabledInfo(),
      renewal: { file: 'novo.pfx', sha256: 'cd'.repeat(32), sameFile: true, certificate: certificate({ notAfter: '2028-01-10T15:00:00Z' }) },
    });
    expect(pageModel(input(st)).regions.estado.renewal).toEqual({
      file: 'novo.pfx',
      name: 'novo.pfx',
      sha256: 'cd'.repeat(32),
      replacedText: ' (que substituiu o habilitado)',
      cnpjText: ' (12.345.678/0001-90)',
      validUntil: '10/01/2028',
      issuer: 'AC SOLUTI Multipla v5',
      issuerFull: 'CN=AC SOLUTI Multipla v5, O=ICP-Brasil, C=BR',
      warnings: [],
    });
  });

  it('when the enabled certificate or the renewal has kind warnings, then each comes with its short name and a quoted command apart', () => {
    const aes = { code: 'AES_FOR_OLD_JAVA' as const, message: 'Use -legacy: "openssl pkcs12 -export -legacy -out m.pfx" (a senha é pedida duas vezes).' };
    const personal = { code: 'PERSONAL_CERTIFICATE' as const, message: 'Este é um e-CPF. Escolha o e-CNPJ.' };
    const st = status({
      state: 'enabled',
      enabled: enabledInfo({ certificate: certificate({ warnings: [personal] }) }),
      renewal: { file: 'novo.pfx', sha256: 'cd'.repeat(32), sameFile: false, certificate: certificate({ warnings: [aes] }) },
    });
    const estado = pageModel(input(st)).regions.estado;
    expect(estado.enabled!.warnings).toEqual([
      { code: 'PERSONAL_CERTIFICATE', tone: 'alert', title: 'e-CPF em vez do e-CNPJ do município', message: { before: 'Este é um e-CPF. Escolha o e-CNPJ.', command: null, after: '' } },
    ]);
    expect(estado.renewal!.warnings).toEqual([
      {
        code: 'AES_FOR_OLD_JAVA',
        tone: 'alert',
        title: 'O PEC anterior à versão 5.3 pode não abrir este arquivo',
        message: { before: 'Use -legacy: ', command: 'openssl pkcs12 -export -legacy -out m.pfx', after: ' (a senha é pedida duas vezes).' },
      },
    ]);
  });
});

describe('the connection test', () => {
  const enabled = (conn: Connection | null) => status({ state: 'enabled', enabled: enabledInfo(), connection: conn });

  it('when it has not run, then the panel says no test was made; while one runs, it says Testando instead', () => {
    expect(pageModel(input(enabled(null))).regions.estado.enabled!.connection).toEqual({ testing: false, result: null, none: true });
    expect(pageModel(input(enabled(null), { connectionTesting: true })).regions.estado.enabled!.connection).toEqual({ testing: true, result: null, none: false });
  });

  it('when it failed, then the result is in danger and its steps are open, each marked', () => {
    const conn = connection({
      status: 'no-connection',
      message: 'Sem conexão',
      via: 'proxy.local:3128',
      steps: [
        { step: 'dns', label: 'DNS', ok: true, ms: 3 },
        { step: 'tcp', label: 'TCP', ok: false, ms: 40, detail: 'recusada' },
      ],
    });
    const result = pageModel(input(enabled(conn))).regions.estado.enabled!.connection.result!;
    expect(result).toMatchObject({ tone: 'danger', via: 'proxy.local:3128', checkedAt: '02/02/2026 10:04', environment: 'Produção' });
    expect(result.steps).toEqual({
      open: true,
      count: 2,
      items: [
        { step: 'dns', className: 'step--ok', mark: '✓', label: 'DNS', ms: 3, detail: null },
        { step: 'tcp', className: 'step--failed', mark: '✗', label: 'TCP', ms: 40, detail: 'recusada' },
      ],
    });
  });

  it('when it passed directly for both services, then the steps stay closed, the route reads "conexão direta" and each service is listed', () => {
    const conn = connection({
      via: 'direto',
      steps: [{ step: 'dns', label: 'DNS', ok: true, ms: 3 }],
      services: [
        { service: 'RNDS', status: 'ok', message: 'Conexão bem-sucedida', detail: 'ok' },
        { service: 'CADSUS', status: 'certificate-failure', message: 'Falha no certificado', detail: 'recusado' },
      ],
    });
    const result = pageModel(input(enabled(conn))).regions.estado.enabled!.connection.result!;
    expect(result).toMatchObject({ tone: 'success', via: 'conexão direta', steps: { open: false, count: 1 } });
    expect(result.services.map((s) => [s.service, s.tone])).toEqual([
      ['RNDS', 'success'],
      ['CADSUS', 'danger'],
    ]);
  });

  it('when only one service was tested and no route or steps are known, then neither a service list, a route nor steps are shown', () => {
    const conn = connection({ services: [{ service: 'RNDS', status: 'ok', message: 'Conexão bem-sucedida', detail: 'ok' }] });
    expect(pageModel(input(enabled(conn))).regions.estado.enabled!.connection.result).toMatchObject({ services: [], via: null, steps: null });
  });
});

describe('the credenciamento guide', () => {
  it('when nothing is done yet, then every step is pending and no file is named', () => {
    const g = guideModel(input(status({ contraChaveOrigin: 'gerada', certificates: [entry('meio.pfx', 'incomplete')] })));
    expect(Object.values(g.steps).map((s) => s.state)).toEqual(['pendente', 'pendente', 'pendente', 'pendente', 'pendente', 'pendente']);
    expect(g.readyFiles).toBeNull();
    expect(g.enabled).toBeNull();
    expect(g.connection).toBeNull();
  });

  it('when two files are ready, then the certificate step is done and names them, in the plural', () => {
    const g = guideModel(input(status({ certificates: [entry('a.pfx'), entry('b.pfx')] })));
    expect(g.steps.contraChave.done).toBe(true);
    expect(g.steps.certificado).toEqual({ done: true, state: 'feito' });
    expect(g.readyFiles).toEqual({
      label: 'Prontos',
      items: [
        { separator: '', name: 'a.pfx' },
        { separator: ', ', name: 'b.pfx' },
      ],
    });
  });

  it('when enabled and the last test failed, then enabling is done but the connection step is pending, with the last result', () => {
    const g = guideModel(input(status({ state: 'enabled', enabled: enabledInfo({ identificadorSolicitante: '' }), connection: connection({ status: 'no-connection', message: 'Sem conexão' }) })));
    expect(g.steps.habilitado.done).toBe(true);
    expect(g.steps.conexao.done).toBe(false);
    expect(g.enabled).toEqual({ file: 'a.pfx', identificadorSolicitante: '—', since: '01/02/2026' });
    expect(g.connection).toEqual({ message: 'Sem conexão', checkedAt: '02/02/2026 10:04' });
    expect(g.readyFiles).toMatchObject({ label: 'Pronto' });
  });
});

describe('the login page', () => {
  it('when the token was refused, then the field is invalid and described by the error too', () => {
    expect(loginModel({ base: '/rnds', csrfToken: 'c', error: 'Token inválido.' })).toEqual({
      base: '/rnds',
      csrfToken: 'c',
      error: 'Token inválido.',
      loggedOut: false,
      tokenInvalid: true,
      tokenDescribedBy: 'token-dica erro-entrar',
    });
  });

  it('when nothing was refused yet, then the field is described by its hint only', () => {
    expect(loginModel({ base: '' })).toEqual({ base: '', csrfToken: '', error: null, loggedOut: false, tokenInvalid: false, tokenDescribedBy: 'token-dica' });
  });

  it('when the admin just clicked Sair, then the page says so, unless it has a refusal to show instead', () => {
    expect(loginModel({ base: '', loggedOut: true }).loggedOut).toBe(true);
    expect(loginModel({ base: '', loggedOut: true, error: 'Token inválido.' }).loggedOut).toBe(false);
  });
});
