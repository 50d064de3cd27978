/**
 * The screen's view-model: every decision the pages show (which colour, which notice, whether a form is open, which
 * error goes where, which dates and words) taken here, from the Status and what the request carries. The EJS views
 * only place these values and loop over these lists; a live region is one partial rendered from one slice of it, by
 * the page and by GET {base}/fragmentos alike.
 *
 * Pure: no request, no clock (the Status carries the days left), no I/O. What comes from other layers (the renewal
 * reminder, the look-alike names, the required-field messages) is handed in, so this layer imports none of them.
 */
import { createHash } from 'node:crypto';
import type { CertificateSummary, Connection, Entry, Problem, Status } from '../types.js';
import { daysLeftText, formatDate, formatDateTime } from './dates.js';
import { ENTRY_REASON_SHORT, environmentLabel, formatCnpj, servicesInSentence, servicesLabel } from './labels.js';
import { commonNameOf, displayName } from './names.js';

/** The alert colours of the design system (bold.css `alert--*`, `tag--*`), each with its icon of the same name. */
export type Tone = 'success' | 'info' | 'alert' | 'danger';

export type FormField = 'file' | 'password' | 'identificadorSolicitante' | 'services' | 'environment';

/** The Habilitar form as the request carries it (http/flash.ts FormState): what was typed and why it was refused. */
export interface FormInput {
  values: { file?: string; identificadorSolicitante?: string; services?: readonly string[]; environment?: string };
  errors: Partial<Record<FormField, string>>;
  formError?: string;
}

/** The renewal reminder (renewal.ts), already decided from the Status. */
export interface ReminderInput {
  expired: boolean;
  title: string;
  steps: readonly string[];
}

/** Everything the screen's pages are built from. */
export interface ScreenInput {
  status: Status;
  /** The installation's time zone, for every date shown. */
  timeZone: string;
  base: string;
  csrfToken: string;
  loginEnabled: boolean;
  defaultEnvironment: string;
  /** A connection test is under way. */
  connectionTesting: boolean;
  /** The Habilitar form after a refusal; without it, the empty form. */
  form?: FormInput;
  /** What the last action said (shown once). */
  notice?: { type: string; text: string };
  /** The contra-chave form after a refusal. */
  contraChaveForm?: { value: string; error: string };
  /** Where each field of the Habilitar form is on the page (the error summary links there). */
  fieldIds: Readonly<Record<FormField, string>>;
  /** The words of each empty required field, the same in the browser script and on the server. */
  requiredMessages: Readonly<Record<'file' | 'password' | 'identificadorSolicitante' | 'services' | 'contraChave', string>>;
  /** Where PEC's installer keeps its chaves folder, on each system. */
  paths: { readonly linux: string; readonly windows: string };
  /** The credenciamento guide's path under the base. */
  guidePath: string;
  /** The renewal reminder for this Status (null when none is due). */
  reminder: ReminderInput | null;
  /** File names of the listing that look the same as another (NFC/NFD twins): neither can be chosen. */
  lookAlikes: ReadonlySet<string>;
}

/** The version of a region: app.js swaps a region only when the one the server now gives differs from the shown one. */
function versionOf(slice: object): string {
  return createHash('sha256').update(JSON.stringify(slice)).digest('base64url').slice(0, 16);
}

type Versioned<T> = T & { version: string };

function versioned<T extends object>(slice: T, neutral: object = slice): Versioned<T> {
  return { ...slice, version: versionOf(neutral) };
}

// ---------------------------------------------------------------------------------------------------------------------
// The live regions (views/partials/*.ejs): each reads only its own slice, so its version is the version of the slice.

/** The renewal steps and the guide's link, carried by the alert that says the certificate expires. */
export interface RenewalSteps {
  steps: string[];
  guideHref: string;
}

export interface ProblemItem {
  code: string;
  tone: Tone;
  message: string;
  /** Only on the expiry's alert, while the renewal reminder is due. */
  renewal?: RenewalSteps;
}

/** The problems that say the certificate expires or expired: the screen says it once, with the renewal steps. */
const EXPIRY_PROBLEMS: readonly string[] = ['CERTIFICATE_EXPIRING', 'CERTIFICATE_EXPIRED'];

/**
 * The problems of the Status, each in the colour of its severity (decided by the status computation). The expiry is
 * said once: its alert carries the renewal reminder's steps (the reminder's own sentence would repeat the date).
 */
export function avisosRegion(problems: readonly Problem[], renewal: RenewalSteps | null = null): { problems: ProblemItem[] } {
  const items: ProblemItem[] = problems.map((p) => ({ code: p.code, tone: p.severity === 'warning' ? 'alert' : 'danger', message: p.message }));
  const expiry = items.find((item) => EXPIRY_PROBLEMS.includes(item.code));
  if (expiry && renewal) expiry.renewal = renewal;
  return { problems: items };
}

const CONTRA_CHAVE_HINT = {
  instalacao: 'Contra-chave desta instalação.',
  gerada:
    'Gerada para teste: não é a contra-chave desta instalação e não pode ser usada no e-Gestor AB, por isso Copiar está desativado. Informe a do PEC em "Informe a contra-chave desta instalação".',
} as const;

export function contraChaveRegion(status: Pick<Status, 'contraChave' | 'contraChaveOrigin'>) {
  const generated = status.contraChaveOrigin !== 'instalacao';
  return { value: status.contraChave, origin: status.contraChaveOrigin, generated, hint: generated ? CONTRA_CHAVE_HINT.gerada : CONTRA_CHAVE_HINT.instalacao };
}

const FOLDER_MESSAGES = {
  missing:
    'A pasta {pasta} não existe. Peça ao administrador da instalação para criá-la e copiar nela o certificado (arquivo .pfx ou .p12) com a chave privada. Ele aparecerá aqui sem reiniciar nada.',
  unreadable: 'O módulo não tem permissão para ler a pasta {pasta}. Peça ao administrador da instalação para liberar a leitura da pasta.',
  empty: 'Nenhum certificado na pasta {pasta}. Copie o arquivo .pfx ou .p12 com a chave privada para essa pasta; ele aparecerá aqui sem reiniciar nada.',
} as const;

/** What the chaves folder itself says (missing, unreadable, empty); the element stays, hidden, when it has nothing to say. */
export function pastaRegion(status: Pick<Status, 'chavesDir' | 'certificates'>) {
  const dir = status.chavesDir;
  const kind = !dir.exists ? 'missing' : !dir.readable ? 'unreadable' : status.certificates.length === 0 ? 'empty' : '';
  const tone: Tone = kind === 'empty' ? 'info' : 'alert';
  if (!kind) return { kind, tone, hidden: true, message: null };
  const [before, after] = FOLDER_MESSAGES[kind].split('{pasta}') as [string, string];
  return { kind, tone, hidden: false, message: { before, path: displayName(dir.path), after } };
}

export interface CertificateOption {
  value: string;
  label: string;
  disabled: boolean;
  selected: boolean;
}

/** Why a listed file cannot be chosen, short (beside its name in the select). */
function shortReason(entry: Entry, twin: boolean): string {
  if (twin) return ENTRY_REASON_SHORT.twin;
  return (ENTRY_REASON_SHORT as Record<string, string>)[entry.status] || ENTRY_REASON_SHORT.other;
}

/** The certificate select's options: every listed file, those that cannot be chosen disabled with a short reason. */
export function certificadosRegion(certificates: readonly Entry[], lookAlikes: ReadonlySet<string>, chosen = '') {
  const options: CertificateOption[] = certificates.map((entry) => {
    const twin = lookAlikes.has(entry.file);
    const ready = entry.status === 'ready' && !twin;
    return {
      value: entry.file,
      label: ready ? displayName(entry.file) : `${displayName(entry.file)} — ${shortReason(entry, twin)}`,
      disabled: !ready,
      selected: ready && chosen === entry.file,
    };
  });
  return { placeholder: options.some((o) => !o.disabled) ? 'Selecione' : 'Nenhum certificado disponível', options };
}

/** Why each listed file cannot be chosen, in full, under the select (hidden when every file can be). */
export function motivosRegion(certificates: readonly Entry[]) {
  const items = certificates
    .filter((entry) => entry.status !== 'ready')
    .map((entry) => ({
      file: entry.file,
      status: entry.status,
      name: displayName(entry.file),
      reason: entry.reason || (ENTRY_REASON_SHORT as Record<string, string>)[entry.status] || ENTRY_REASON_SHORT.other,
    }));
  return { hidden: items.length === 0, items };
}

/** What disabling costs, said once: in the Desabilitar dialog and on the confirmation page. */
export function disableText(enabled: NonNullable<Status['enabled']>) {
  return { services: servicesInSentence(enabled.services) || 'a RNDS', file: displayName(enabled.file) };
}

const VIA_DIRECT = 'conexão direta';

function connectionResult(conn: Connection, timeZone: string) {
  const ok = conn.status === 'ok';
  const services = Array.isArray(conn.services) && conn.services.length > 1 ? conn.services : [];
  const steps = Array.isArray(conn.steps) ? conn.steps : [];
  return {
    status: conn.status,
    tone: (ok ? 'success' : 'danger') satisfies Tone,
    message: conn.message,
    detail: conn.detail,
    checkedAt: formatDateTime(conn.checkedAt, timeZone),
    environment: environmentLabel(conn.environment),
    via: conn.via ? (conn.via === 'direto' ? VIA_DIRECT : conn.via) : null,
    services: services.map((sv) => ({ service: sv.service, status: sv.status, tone: (sv.status === 'ok' ? 'success' : 'danger') satisfies Tone, message: sv.message, detail: sv.detail })),
    // A failed test opens its steps: the failing one is what the admin needs.
    steps:
      steps.length > 0
        ? {
            open: !ok,
            count: steps.length,
            items: steps.map((step) => ({ step: step.step, className: step.ok ? 'step--ok' : 'step--failed', mark: step.ok ? '✓' : '✗', label: step.label, ms: step.ms, detail: step.detail || null })),
          }
        : null,
  };
}

export type ConnectionResult = ReturnType<typeof connectionResult>;

type CertificateWarningCode = NonNullable<CertificateSummary['warnings']>[number]['code'];

/** A short name for each kind warning, read before its sentence (which says what the file is and what to do). */
const KIND_WARNING_TITLES: Readonly<Record<CertificateWarningCode, string>> = {
  SERVER_CERTIFICATE: 'Certificado de servidor, não do município',
  PERSONAL_CERTIFICATE: 'e-CPF em vez do e-CNPJ do município',
  OUTSIDE_ICP_BRASIL: 'Certificado fora da ICP-Brasil',
  AES_FOR_OLD_JAVA: 'O PEC anterior à versão 5.3 pode não abrir este arquivo',
};

/** A command quoted in a warning ("openssl …"): shown as code, so it reads (and copies) as one piece. */
const QUOTED_COMMAND = /"(openssl [^"]+)"/;

/** The wrong kind of certificate: warnings (never refusals), in the alert colour, each with what to do. */
export function kindWarningItems(certificate: Pick<CertificateSummary, 'warnings'>) {
  return (certificate.warnings ?? []).map((w) => {
    const [before, command = null, after = ''] = w.message.split(QUOTED_COMMAND);
    return { code: w.code, tone: 'alert' as Tone, title: KIND_WARNING_TITLES[w.code], message: { before: before ?? '', command, after } };
  });
}

/** The enabled certificate: its facts, the connection test, its actions. */
function enabledPanel(status: Status, input: Pick<ScreenInput, 'timeZone' | 'connectionTesting' | 'reminder'>) {
  const en = status.enabled!;
  const cert = en.certificate;
  const tz = input.timeZone;
  const expired = status.problems.some((p) => p.code === 'CERTIFICATE_EXPIRED');
  const expiring = status.problems.some((p) => p.code === 'CERTIFICATE_EXPIRING');
  const titular = cert.razaoSocial || cert.commonName || cert.subject || '';
  const conn = status.connection;
  return {
    tag: status.state === 'degraded' ? { tone: 'danger' as Tone, text: 'Com problema' } : { tone: 'success' as Tone, text: 'Habilitado' },
    titular: displayName(titular),
    cnpj: cert.cnpj ? formatCnpj(cert.cnpj) : '—',
    issuer: displayName(commonNameOf(cert.issuer || '')),
    issuerFull: displayName(cert.issuer || ''),
    enabledAt: formatDate(en.enabledAt, tz),
    validUntil: formatDate(cert.notAfter, tz),
    validity: {
      className: expired ? 'text-danger' : expiring ? 'text-alert' : 'text-secondary',
      text: typeof cert.daysLeft === 'number' ? daysLeftText(cert.daysLeft, expired) : '',
    },
    // While the expiry's alert says when and what to do, the panel points there instead of saying it again. An expired
    // certificate keeps its date here too: the panel then says why it is "Com problema".
    validityInAlert: expiring && !expired && input.reminder !== null,
    identificadorSolicitante: displayName(en.identificadorSolicitante || ''),
    services: servicesLabel(en.services),
    environment: environmentLabel(en.environment),
    file: displayName(en.file),
    warnings: kindWarningItems(cert),
    connection: {
      testing: input.connectionTesting,
      result: conn ? connectionResult(conn, tz) : null,
      none: !conn && !input.connectionTesting,
    },
    disableText: disableText(en),
  };
}

/** The renewal reminder's steps for the expiry's alert (null when no reminder is due). */
function renewalSteps(input: Pick<ScreenInput, 'reminder' | 'base' | 'guidePath'>): RenewalSteps | null {
  const reminder = input.reminder;
  return reminder ? { steps: [...reminder.steps], guideHref: `${input.base}${input.guidePath}` } : null;
}

/** The live part of the screen: the renewal offer, the enabled certificate and the connection test. */
export function estadoRegion(input: ScreenInput) {
  const { status, timeZone } = input;
  const renewal = status.enabled ? status.renewal : null;
  return {
    base: input.base,
    csrfToken: input.csrfToken,
    state: status.state,
    renewal: renewal
      ? {
          file: renewal.file,
          name: displayName(renewal.file),
          sha256: renewal.sha256,
          replacedText: renewal.sameFile ? ' (que substituiu o habilitado)' : '',
          cnpjText: renewal.certificate.cnpj ? ` (${formatCnpj(renewal.certificate.cnpj)})` : '',
          validUntil: formatDate(renewal.certificate.notAfter, timeZone),
          // Who issued it, named next to the offer: the admin sees which CA the new certificate comes from.
          issuer: displayName(commonNameOf(renewal.certificate.issuer || '')) || 'emissor não identificado',
          issuerFull: displayName(renewal.certificate.issuer || ''),
          // Told before the switch: the renewed file may be of another kind than the enabled one (an AES export).
          warnings: kindWarningItems(renewal.certificate),
        }
      : null,
    enabled: status.enabled ? enabledPanel(status, input) : null,
  };
}

export const REGIONS = ['avisos', 'estado', 'contra-chave', 'pasta', 'certificados', 'motivos'] as const;
export type RegionName = (typeof REGIONS)[number];

/**
 * Every live region with its version. The certificate select marks the refused form's file as chosen on the page,
 * but its version is the one of the neutral list, the one GET {base}/fragmentos gives (it has no form).
 */
export function regions(input: ScreenInput, chosen = '') {
  const { status } = input;
  const certificados = certificadosRegion(status.certificates, input.lookAlikes, chosen);
  return {
    avisos: versioned(avisosRegion(status.problems, renewalSteps(input))),
    estado: versioned(estadoRegion(input)),
    'contra-chave': versioned(contraChaveRegion(status)),
    pasta: versioned(pastaRegion(status)),
    certificados: versioned(certificados, chosen ? certificadosRegion(status.certificates, input.lookAlikes) : certificados),
    motivos: versioned(motivosRegion(status.certificates)),
  } satisfies Record<RegionName, object>;
}

// ---------------------------------------------------------------------------------------------------------------------
// The page (views/page.ejs)

/** The fields in the order of the form: the error summary lists them so. */
const FIELD_ORDER: readonly FormField[] = ['services', 'file', 'password', 'identificadorSolicitante', 'environment'];

const NOTICE_TONES: readonly string[] = ['success', 'info', 'alert', 'danger'];

const SERVICES = [
  { value: 'RNDS', id: 'servico-rnds' },
  { value: 'CADSUS', id: 'servico-cadsus' },
] as const;

const ENVIRONMENTS = [
  { value: 'producao', label: 'Produção' },
  { value: 'homologacao', label: 'Homologação' },
] as const;

/**
 * Each field names its own error element, there (empty and hidden) when there is no error: app.js fills the same
 * element for an empty required field, so the browser's and the server's messages look the same.
 */
function field(name: FormField, errors: FormInput['errors'], ...hints: string[]) {
  const error = errors[name] || '';
  return { describedBy: [...hints, `erro-${name}`].join(' '), invalid: Boolean(error), error, errorHidden: !error };
}

/** Gestão municipal › Certificados: the whole screen. */
export function pageModel(input: ScreenInput) {
  const { status } = input;
  // As PEC: no service ticked until the admin says which ones the credential includes.
  const form: FormInput = input.form ?? { values: { services: [], environment: status.enabled?.environment ?? input.defaultEnvironment }, errors: {} };
  const values = form.values;
  const errors = form.errors;
  const services = values.services ?? [];
  const defaultEnvironment = input.defaultEnvironment || 'producao';
  const environment = values.environment || defaultEnvironment;
  const hasFormErrors = Boolean(form.formError) || Object.values(errors).some(Boolean);
  const summaryLinks = FIELD_ORDER.filter((f) => errors[f] && input.fieldIds[f]).map((f) => ({ field: f, href: `#${input.fieldIds[f]}`, text: errors[f]! }));
  const notice = input.notice && input.notice.text ? input.notice : null;
  const contraChaveForm = input.contraChaveForm ?? null;
  return {
    base: input.base,
    csrfToken: input.csrfToken,
    loginEnabled: input.loginEnabled,
    state: status.state,
    errorSummary: hasFormErrors ? { formError: form.formError || null, links: summaryLinks } : null,
    notice: notice
      ? {
          type: notice.type,
          icon: NOTICE_TONES.includes(notice.type) ? notice.type : 'info',
          role: notice.type === 'danger' || notice.type === 'alert' ? 'alert' : 'status',
          text: notice.text,
        }
      : null,
    // Asked for while the contra-chave is a generated one, and kept open while its form was refused.
    installationContraChave:
      status.contraChaveOrigin !== 'instalacao' || contraChaveForm
        ? { value: contraChaveForm ? contraChaveForm.value : '', invalid: Boolean(contraChaveForm), error: contraChaveForm ? contraChaveForm.error : '', errorHidden: !contraChaveForm }
        : null,
    // While a certificate is enabled the form sits behind "Substituir certificado"; otherwise it is the screen.
    formOpen: status.state !== 'enabled' || hasFormErrors,
    required: input.requiredMessages,
    paths: input.paths,
    fields: {
      services: { ...field('services', errors, 'servicos-dica'), options: SERVICES.map((s) => ({ ...s, checked: services.includes(s.value) })) },
      file: field('file', errors, 'pasta-aviso', 'arquivos-motivos'),
      password: field('password', errors),
      identificadorSolicitante: { ...field('identificadorSolicitante', errors, 'identificador-dica'), value: values.identificadorSolicitante || '' },
      environment: {
        ...field('environment', errors, 'ambiente-dica'),
        // "Avançado" opens when it holds something other than the usual.
        open: environment !== defaultEnvironment || Boolean(errors.environment),
        options: ENVIRONMENTS.map((e) => ({ ...e, selected: environment === e.value })),
      },
    },
    regions: regions(input, values.file || ''),
  };
}

export type PageModel = ReturnType<typeof pageModel>;

// ---------------------------------------------------------------------------------------------------------------------
// The other pages

/** The Desabilitar confirmation without JavaScript (views/desabilitar.ejs). */
export function disablePageModel(input: Pick<ScreenInput, 'base' | 'csrfToken' | 'status'>) {
  return { base: input.base, csrfToken: input.csrfToken, disableText: input.status.enabled ? disableText(input.status.enabled) : null };
}

function guideStep(done: boolean) {
  return { done, state: done ? 'feito' : 'pendente' };
}

/** The credenciamento guide (views/guia.ejs): each step of the journey, done or pending, from the Status. */
export function guideModel(input: Pick<ScreenInput, 'base' | 'status' | 'paths' | 'timeZone'>) {
  const { status: st, timeZone } = input;
  const ready = st.certificates.filter((e) => e.status === 'ready');
  const enabled = Boolean(st.enabled);
  const certificado = ready.length > 0 || enabled;
  return {
    base: input.base,
    paths: input.paths,
    contraChave: st.contraChave,
    chavesDir: displayName(st.chavesDir.path),
    steps: {
      contraChave: guideStep(st.contraChaveOrigin === 'instalacao'),
      pedido: guideStep(enabled),
      identificador: guideStep(enabled),
      certificado: guideStep(certificado),
      habilitado: guideStep(enabled),
      conexao: guideStep(enabled && st.connection?.status === 'ok'),
    },
    readyFiles:
      certificado && ready.length > 0
        ? { label: ready.length === 1 ? 'Pronto' : 'Prontos', items: ready.map((e, i) => ({ separator: i ? ', ' : '', name: displayName(e.file) })) }
        : null,
    enabled: st.enabled
      ? { file: displayName(st.enabled.file), identificadorSolicitante: st.enabled.identificadorSolicitante || '—', since: formatDate(st.enabled.enabledAt, timeZone) }
      : null,
    connection: st.connection ? { message: st.connection.message, checkedAt: formatDateTime(st.connection.checkedAt, timeZone) } : null,
  };
}

/** Entrar (views/login.ejs): the access-token form, with the refusal when there was one. */
export function loginModel(input: { base: string; csrfToken?: string; error?: string; loggedOut?: boolean }) {
  const error = input.error || null;
  return {
    base: input.base,
    csrfToken: input.csrfToken || '',
    error,
    loggedOut: Boolean(input.loggedOut) && !error,
    tokenInvalid: Boolean(error),
    tokenDescribedBy: error ? 'token-dica erro-entrar' : 'token-dica',
  };
}
