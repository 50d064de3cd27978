/**
 * The Status: `statusFromState` is the one place that decides `enabled` / `disabled` / `degraded` and which problems
 * to report, from the saved state and the folder listing. The server (StatusReader, below) and `npm run status`
 * (scripts/lib/status-check.ts, reading the files itself) both call it; the screen, the API, the CLI and the metrics
 * all read its answer.
 */
import { createHash } from 'node:crypto';
import { PROBLEM_SEVERITY } from '../enums.js';
import { explain } from '../rnds/dictionary.js';
import { EXPIRING_DAYS, daysLeft, daysLeftText, displayName, formatDate, formatDateTime } from '../present/index.js';
import type { ClockRefusals } from '../sends/clock-codes.js';
import type { PersistedState } from '../state/index.js';
import type { AlertsInfo, ChavesDirInfo, ContraChaveOrigin, EnabledInfo, Entry, Problem, ProblemCode, ProblemSeverity, RenewalInfo, Status } from '../types.js';
import type { EnablementCore } from './core.js';
import type { RenewalScan } from './renewal-scan.js';

export type { ClockRefusals };

/** `critical` when the problem degrades an enabled state, else `warning` (docs/CONTRACT.md). */
function severityOf(code: ProblemCode): ProblemSeverity {
  return PROBLEM_SEVERITY[code];
}

export interface StatusSources {
  /** The saved state (state.json), as the store holds it or as read from disk. */
  state: Pick<PersistedState, 'contraChave' | 'contraChaveOrigin' | 'contraChaveChanged' | 'enabled' | 'connection' | 'clock'>;
  chavesDir: ChavesDirInfo;
  certificates: Entry[];
  /**
   * Why the stored password cannot be decrypted (key missing, ciphertext tampered), in the words of whatever failed
   * (e.g. the key file's mode and the chmod that fixes it); null when it can.
   */
  secretProblem: string | null;
  /** A renewed certificate that opens with the stored password (found by the renewal scan); absent: not looked for. */
  renewal?: RenewalInfo | null;
  /** The alert deliveries, when alerts are configured. */
  alerts?: AlertsInfo;
  /**
   * The latest direct send the host reported (module/sends/), kept in memory by the server and read from the store by
   * `npm run status` when the server is down; absent: not known (the store could not be read).
   */
  lastDirectSend?: DirectSendOutcome | null;
  /**
   * The clock codes (ERR807/808/830) of the recent direct sends (module/sends/clock-codes.ts), kept in memory by the
   * server like lastDirectSend; absent or null: none (or not known).
   */
  clockRefusals?: ClockRefusals | null;
  now: Date;
  /** The installation's time zone (present/dates.ts): the dates in the messages and the calendar days left. */
  timeZone: string;
}

/** What the Status needs of the latest direct send (module/sends/ LastDirectSend). */
export interface DirectSendOutcome {
  at: string;
  status: string;
  codes: string[];
}


/**
 * The credential code RNDS gave in a refused send (the first the dictionary files under credencial), or null when
 * the refusal carried none (HTTP 401/403, a refused token). A code only: never RNDS's text, which can name a patient.
 */
export function credentialCode(send: DirectSendOutcome): string | null {
  return send.codes.map((code) => explain(code)).find((a) => a.known && a.group === 'credencial')?.code ?? null;
}

/**
 * The RNDS_CREDENTIAL_REFUSED message: when, the code RNDS gave and the dictionary's fix (naming the identificador
 * solicitante when the code is about it); without a credential code (HTTP 401/403, token refused), the usual checks.
 */
export function credentialRefusedMessage(send: DirectSendOutcome, identificadorSolicitante: string, timeZone: string): string {
  const when = formatDateTime(send.at, timeZone);
  const code = credentialCode(send);
  const advice = code === null ? undefined : explain(code, { identificadorSolicitante });
  const clears = 'O aviso some no próximo envio direto aceito pela RNDS ou ao habilitar o certificado de novo.';
  if (advice) {
    return `A RNDS recusou a credencial no envio direto de ${when} (${advice.code}: ${advice.title}). ${advice.action} ${clears}`;
  }
  return (
    `A RNDS recusou a credencial no envio direto de ${when} (acesso negado${send.codes.length > 0 ? `, ${send.codes.join(', ')}` : ''}): ` +
    `confira em e-Gestor AB › Credenciais geradas se a credencial do identificador solicitante ${identificadorSolicitante} está com STATUS ATIVO, ` +
    'é do ambiente usado (homologação × produção) e foi gerada com a contra-chave desta instalação; se não, solicite uma nova credencial e habilite de novo o certificado com o novo identificador solicitante. ' +
    clears
  );
}

/** Above this difference between RNDS's clock and ours (either way), the Status carries CLOCK_SKEW. */
export const CLOCK_SKEW_LIMIT_SECONDS = 60;

/** `5 min 3 s`, `2 h 10 min`, `3 dias e 4 h`: a clock difference, as a person reads it. */
function durationText(totalSeconds: number): string {
  const s = Math.abs(Math.round(totalSeconds));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  if (days > 0) return `${days} ${days === 1 ? 'dia' : 'dias'}${hours > 0 ? ` e ${hours} h` : ''}`;
  if (hours > 0) return `${hours} h${minutes > 0 ? ` ${minutes} min` : ''}`;
  if (minutes > 0) return `${minutes} min${seconds > 0 ? ` ${seconds} s` : ''}`;
  return `${seconds} s`;
}

/** The CLOCK_SKEW message: the difference measured, when, and the fix. */
export function clockSkewMessage(clock: { skewSeconds: number; measuredAt: string }, timeZone: string): string {
  const way = clock.skewSeconds > 0 ? 'adiantado' : 'atrasado';
  return (
    `O relógio deste servidor estava ${durationText(clock.skewSeconds)} ${way} em relação ao da RNDS em ${formatDateTime(clock.measuredAt, timeZone)}: ` +
    'a RNDS não aceita diferença de relógio e recusa os registros com data e hora erradas (erros ERR807, ERR808, ERR830). ' +
    'Ative a sincronização automática da hora (NTP) — Linux: timedatectl set-ntp true; Windows: w32tm /resync (como administrador) — ' +
    `e confira o fuso horário do servidor (${timeZone}, o da instalação). O aviso some no próximo teste de conexão com o relógio certo.`
  );
}

/**
 * The CLOCK_SKEW message from the sends: what RNDS answered (how many direct sends, when, each code with the
 * dictionary's title) and the fix. Codes and counts only: RNDS's diagnostics can name a patient.
 */
export function clockRefusalsMessage(refusals: ClockRefusals, timeZone: string): string {
  const codes = refusals.codes.map((code) => `${code}: ${explain(code).title ?? 'data ou hora recusada'}`).join('; ');
  const which =
    refusals.total === 1
      ? `o envio direto de ${formatDateTime(refusals.at, timeZone)}`
      : `${refusals.refused} de ${refusals.total} envios diretos entre ${formatDateTime(refusals.since, timeZone)} e ${formatDateTime(refusals.at, timeZone)}`;
  return (
    `A RNDS recusou por data e hora ${which}, o último inclusive (${codes}): o relógio ou o fuso horário deste servidor está errado, e a RNDS não aceita diferença de relógio. ` +
    'Ative a sincronização automática da hora (NTP) — Linux: timedatectl set-ntp true; Windows: w32tm /resync (como administrador) — ' +
    `e confira o fuso horário do servidor (${timeZone}, o da instalação); os registros recusados estão na aba RNDS. ` +
    'O aviso some no próximo envio direto que a RNDS não recusar por data e hora.'
  );
}

/** The Status of docs/CONTRACT.md, from what is saved and what is in the folder. */
export function statusFromState(sources: StatusSources): Status {
  const { state, chavesDir, certificates, now, timeZone, renewal } = sources;
  const problems: Problem[] = [];
  const push = (code: ProblemCode, message: string): void => {
    problems.push({ code, severity: severityOf(code), message });
  };
  const contraChaveOrigin: ContraChaveOrigin = state.contraChaveOrigin ?? 'gerada';

  if (!chavesDir.exists) {
    push('CHAVES_DIR_MISSING', `A pasta chaves não existe: crie a pasta ${chavesDir.path} no servidor e copie para ela o certificado (.pfx ou .p12).`);
  } else if (!chavesDir.readable) {
    push('CHAVES_DIR_MISSING', `A pasta chaves (${chavesDir.path}) não pode ser lida pelo módulo: dê permissão de leitura ao usuário do serviço.`);
  }

  let enabled: EnabledInfo | null = null;
  if (state.enabled) {
    // The sealed password (and the issuer kept for renewals) never leaves the state.
    const { secret: _secret, issuerCertificate: _issuer, ...saved } = state.enabled;
    const certificate = { ...saved.certificate, daysLeft: daysLeft(saved.certificate.notAfter, now, timeZone) };
    enabled = { ...saved, certificate } as EnabledInfo;
    const enabledFile = enabled.file;
    const entry = certificates.find((e) => e.file === enabledFile);
    const file = displayName(enabled.file);
    if (chavesDir.exists && !entry) {
      push('CERTIFICATE_MISSING', `O arquivo ${file} foi removido da pasta chaves: copie-o de volta para ${chavesDir.path} ou habilite outro certificado.`);
    } else if (entry && entry.status !== 'ready') {
      push('CERTIFICATE_CHANGED', `O arquivo ${file} na pasta chaves está sendo substituído ou não pode ser lido: aguarde a cópia terminar ou verifique as permissões do arquivo.`);
    } else if (entry && entry.sha256 !== certificate.sha256 && renewal?.sameFile && renewal.sha256 === entry.sha256) {
      push('CERTIFICATE_CHANGED', `O arquivo ${file} foi substituído por um certificado renovado do mesmo CNPJ, válido até ${formatDate(renewal.certificate.notAfter, timeZone)}, que abre com a senha guardada: clique em "Usar o certificado renovado" para passar a usá-lo, sem digitar a senha de novo.`);
    } else if (entry && entry.sha256 !== certificate.sha256) {
      push('CERTIFICATE_CHANGED', `O arquivo ${file} foi substituído por outro conteúdo: habilite o certificado novamente, digitando a senha, ou copie de volta o arquivo original.`);
    }
    if (new Date(certificate.notAfter).getTime() <= now.getTime()) {
      push('CERTIFICATE_EXPIRED', `O certificado expirou em ${formatDate(certificate.notAfter, timeZone)}: baixe um certificado novo no e-Gestor AB, copie-o para a pasta chaves e habilite-o.`);
    } else if (certificate.daysLeft <= EXPIRING_DAYS) {
      push('CERTIFICATE_EXPIRING', `O certificado vence em ${formatDate(certificate.notAfter, timeZone)} (${daysLeftText(certificate.daysLeft)}): providencie a renovação no e-Gestor AB antes dessa data.`);
    }
    if (sources.secretProblem !== null) {
      push(
        'SECRET_UNREADABLE',
        sources.secretProblem ||
          'A senha guardada do certificado não pode mais ser lida (a chave de proteção foi perdida ou alterada): reinforme a senha e habilite o certificado novamente.',
      );
    }
  }

  // Only a refusal since the current enable counts: enabling again (a new credential) clears it, as does a later send.
  const last = sources.lastDirectSend;
  if (enabled && last?.status === 'FALHA_CREDENCIAL' && Date.parse(last.at) >= Date.parse(enabled.enabledAt)) {
    push('RNDS_CREDENTIAL_REFUSED', credentialRefusedMessage(last, enabled.identificadorSolicitante, timeZone));
  }

  if (enabled && state.contraChaveChanged) {
    push(
      'CONTRA_CHAVE_CHANGED',
      `A contra-chave desta instalação mudou (era ${state.contraChaveChanged.previous}, agora é ${state.contraChave}) com o certificado habilitado: ` +
        'a credencial da RNDS foi gerada para a contra-chave anterior. Solicite uma nova credencial no e-Gestor AB com a contra-chave atual ' +
        'e habilite de novo o certificado (ou volte a configurar a contra-chave anterior, se a troca foi um engano).',
    );
  }
  // The clock is measured only with a certificate enabled (a token request needs one); a disabled installation sends nothing.
  const clock = enabled && state.clock ? state.clock : null;
  const skewed = clock && Math.abs(clock.skewSeconds) > CLOCK_SKEW_LIMIT_SECONDS ? clock : null;
  // One problem for both proofs (the Date header, the sends' codes): one cause, one fix.
  const refusals = enabled ? (sources.clockRefusals ?? null) : null;
  if (skewed || refusals) {
    push('CLOCK_SKEW', [skewed ? clockSkewMessage(skewed, timeZone) : null, refusals ? clockRefusalsMessage(refusals, timeZone) : null].filter(Boolean).join(' '));
  }
  if (contraChaveOrigin === 'gerada') {
    push(
      'CONTRA_CHAVE_NOT_CONFIGURED',
      'A contra-chave mostrada foi gerada só para testes: não é a desta instalação e o e-Gestor AB não a reconhece. ' +
        'Informe a contra-chave do PEC (em Gestão municipal › Certificados, ou a recebida na ativação da instalação) nesta tela, ' +
        'na variável RNDS_CONTRA_CHAVE ou na opção contraChave.',
    );
  }

  const degraded = problems.some((p) => p.severity === 'critical');
  const status: Status = {
    state: !enabled ? 'disabled' : degraded ? 'degraded' : 'enabled',
    contraChave: state.contraChave,
    contraChaveOrigin,
    chavesDir,
    certificates,
    enabled,
    connection: state.connection,
    problems,
    ...(renewal !== undefined ? { renewal: enabled ? renewal : null } : {}),
    ...(clock ? { clock } : {}),
  };
  return sources.alerts ? { ...status, alerts: sources.alerts } : status;
}

/** One Status, serialised once: the JSON bodies of /api/status and /api/certificates and their ETags. */
export class StatusSnapshot {
  readonly status: Status;
  #body: { json: Buffer; etag: string } | undefined;
  #certificates: { json: Buffer; etag: string } | undefined;

  constructor(status: Status) {
    this.status = status;
  }

  /** `JSON.stringify(status)` as bytes, with a strong ETag of them. */
  get body(): { json: Buffer; etag: string } {
    return (this.#body ??= tagged(this.status));
  }

  /** `{ certificates }` as bytes (GET /api/certificates), with its own ETag. */
  get certificates(): { json: Buffer; etag: string } {
    return (this.#certificates ??= tagged({ certificates: this.status.certificates }));
  }
}

function tagged(value: unknown): { json: Buffer; etag: string } {
  const json = Buffer.from(JSON.stringify(value));
  return { json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"` };
}

/** How often the Status is recomputed to notice changes that come from the clock alone (expiry). */
const CLOCK_CHECK_MS = 60_000;

/** What statusFromState reads of the latest direct send: a credential refusal's instant and codes, or nothing. */
function credentialRefusalKey(send: DirectSendOutcome | null): string {
  return send?.status === 'FALHA_CREDENCIAL' ? JSON.stringify([send.at, send.codes]) : '';
}

/** The server's Status: the store, the catalogue, the secret check, the renewal found and the alert deliveries. */
export class StatusReader {
  readonly #core: EnablementCore;
  readonly #renewals: RenewalScan;
  #alertsInfo: (() => AlertsInfo) | null = null;
  #lastDirectSend: DirectSendOutcome | null = null;
  #clockRefusals: ClockRefusals | null = null;
  #snapshot: { inputs: unknown[]; snapshot: StatusSnapshot } | null = null;
  #clock: NodeJS.Timeout | undefined;

  constructor(core: EnablementCore, renewals: RenewalScan) {
    this.#core = core;
    this.#renewals = renewals;
  }

  /** Adds the alert delivery summary to every Status. */
  attachAlerts(info: () => AlertsInfo): void {
    this.#alertsInfo = info;
  }

  /**
   * The latest direct send reported by the host (read from the sends store after each report and at start). True when
   * the Status may change with it: only a refusal for the credential reaches the Status (RNDS_CREDENTIAL_REFUSED).
   */
  setLastDirectSend(send: DirectSendOutcome | null): boolean {
    const before = credentialRefusalKey(this.#lastDirectSend);
    this.#lastDirectSend = send;
    return credentialRefusalKey(send) !== before;
  }

  /** The recent clock refusals of the direct sends (read from the sends store with the latest direct send). */
  setClockRefusals(refusals: ClockRefusals | null): boolean {
    if (JSON.stringify(refusals) === JSON.stringify(this.#clockRefusals)) return false;
    this.#clockRefusals = refusals;
    return true;
  }

  /** What the alerts need of the sends beyond the Status: the codes RNDS gave (never its text). */
  sendCodes(): { credential: string | null; clock: string[] } {
    const last = this.#lastDirectSend;
    return { credential: last?.status === 'FALHA_CREDENCIAL' ? credentialCode(last) : null, clock: this.#clockRefusals?.codes ?? [] };
  }

  /** The current Status, computed from the state, the folder and the clock. */
  status(): Status {
    const { store, catalogue, secretBox, now, timeZone } = this.#core.deps;
    const state = store.get();
    return statusFromState({
      state,
      chavesDir: catalogue.dirInfo(),
      certificates: catalogue.list(),
      // Looked at on every Status (cached until the key file or the envelope changes): a key deleted or fixed while
      // running shows at once, with the key's own message when the key is the cause.
      secretProblem: state.enabled ? (secretBox.check(state.enabled.secret)?.message ?? null) : null,
      renewal: this.#renewals.current(),
      ...(this.#alertsInfo ? { alerts: this.#alertsInfo() } : {}),
      lastDirectSend: this.#lastDirectSend,
      clockRefusals: this.#clockRefusals,
      now: now(),
      timeZone,
    });
  }

  /**
   * The current Status with its JSON and an ETag, computed again only when something it is made of changed: the
   * saved state (a new object on every update), the folder listing (its revision), the stored password's check, the
   * renewal found, the alert deliveries, and the clock — the Status reads the clock only through the days left and
   * the expiry of the enabled and renewed certificates, so the calendar days to each notAfter stand for it. A poller
   * costs a key comparison and a write of the same bytes; the JSON is made once per change.
   */
  snapshot(): StatusSnapshot {
    const inputs = this.#inputs();
    const cached = this.#snapshot;
    if (cached && inputs.length === cached.inputs.length && inputs.every((value, i) => value === cached.inputs[i])) return cached.snapshot;
    const snapshot = new StatusSnapshot(this.status());
    this.#snapshot = { inputs, snapshot };
    return snapshot;
  }

  /** Time alone changes the Status (a certificate expires at midnight): announces it (`change`) when it does. */
  startClock(): void {
    let last = this.#signature();
    this.#clock = setInterval(() => {
      const signature = this.#signature();
      if (signature !== last) {
        last = signature;
        this.#core.changed();
      }
    }, CLOCK_CHECK_MS).unref();
  }

  stopClock(): void {
    clearInterval(this.#clock);
  }

  #signature(): string {
    const { state, problems, enabled } = this.status();
    return JSON.stringify([state, problems.map((p) => p.code), enabled?.certificate.daysLeft]);
  }

  /** Everything status() reads, as values compared by identity (see snapshot). */
  #inputs(): unknown[] {
    const { store, catalogue, secretBox, now: clockNow, timeZone } = this.#core.deps;
    const state = store.get();
    const now = clockNow().getTime();
    const clock = (notAfter: string | undefined): string => {
      if (notAfter === undefined) return '';
      // The days left are calendar days in the installation's zone (present/dates.ts): they change at local midnight.
      return `${daysLeft(notAfter, new Date(now), timeZone)}:${Date.parse(notAfter) <= now}`;
    };
    const renewal = this.#renewals.found;
    return [
      state,
      catalogue.revision,
      state.enabled ? secretBox.check(state.enabled.secret) : null,
      renewal,
      clock(state.enabled?.certificate.notAfter),
      clock(renewal?.info.certificate.notAfter),
      this.#alertsInfo ? JSON.stringify(this.#alertsInfo()) : '',
      this.#lastDirectSend,
      this.#clockRefusals,
    ];
  }
}
