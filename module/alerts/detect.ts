/**
 * Which alerts a Status calls for, given what was already sent: pure, so the day thresholds are tested with a fake
 * clock and a restart (the same memory read back from the state file) sends nothing twice.
 */
import type { AlertEvent, AlertKind, AlertMemory } from '../state/index.js';
import { EXPIRY_ALERT_CRITICAL_DAYS, EXPIRY_ALERT_DAYS, STATE_EXPLAINED, daysLeftText, displayName, formatCnpj, formatDate, formatDateTime } from '../present/index.js';
import type { AlertChannel, Status } from '../types.js';

/** Consecutive failed connection checks that make an alert. */
const CONNECTION_FAILURES_TO_ALERT = 2;
/** Events remembered (the newest); older ones can no longer repeat (their thresholds are past). */
const EVENTS_KEPT = 40;

const EMPTY_MEMORY: AlertMemory = {
  lastState: null,
  connectionCheckedAt: null,
  connectionFailures: 0,
  connectionFailing: false,
  lastFailure: null,
  events: [],
};

/** The codes RNDS gave in the sends behind RNDS_CREDENTIAL_REFUSED and CLOCK_SKEW: codes only, never its text. */
export interface SendCodes {
  /** The credential code of the refused direct send (EHR-ERR881…), or null when it carried none (401/403). */
  credential: string | null;
  /** The clock codes (EHR-ERR807/808/830) of the recent direct sends. */
  clock: string[];
}

/** Problems that have an alert of their own: they alone never make a `degraded` alert (one problem, one e-mail). */
const OWN_ALERT: ReadonlySet<string> = new Set(['CERTIFICATE_EXPIRED', 'RNDS_CREDENTIAL_REFUSED']);

export interface Detection {
  memory: AlertMemory;
  /** The events new in `memory` (deliveries pending). */
  events: AlertEvent[];
}

/** Compares the Status with the memory; returns the new memory and the events to send. */
export function detectAlerts(
  status: Status,
  previous: AlertMemory | undefined,
  now: Date,
  channels: AlertChannel[],
  options: { timeZone: string; guideUrl?: string | null; sendCodes?: SendCodes },
): Detection {
  const { timeZone } = options;
  const guideUrl = options.guideUrl ?? null;
  const memory: AlertMemory = structuredClone(previous ?? EMPTY_MEMORY);
  const known = new Set(memory.events.map((e) => e.key));
  const events: AlertEvent[] = [];
  const at = now.toISOString();
  const sendCodes = options.sendCodes ?? { credential: null, clock: [] };
  const add = (key: string, kind: AlertKind, extra: { days?: number; reenabled?: boolean } = {}) => {
    if (known.has(key)) return;
    known.add(key);
    const message = describe(kind, status, extra, guideUrl, timeZone, now);
    const deliveries: AlertEvent['deliveries'] = {};
    for (const channel of channels) deliveries[channel] = 'pending';
    events.push({ key, kind, at, severity: message.severity, subject: message.subject, text: message.text, details: details(status, kind, extra.days, sendCodes), deliveries });
  };

  const enabled = status.enabled;
  if (enabled) {
    const sha = enabled.certificate.sha256;
    const expired = status.problems.some((p) => p.code === 'CERTIFICATE_EXPIRED');
    if (expired) {
      add(`certificate-expired:${sha}`, 'certificate-expired');
    } else {
      // Only the nearest threshold crossed: a module started 5 days before expiry sends the 7-day alert, not four.
      const threshold = [...EXPIRY_ALERT_DAYS].reverse().find((t) => enabled.certificate.daysLeft <= t);
      if (threshold !== undefined) add(`certificate-expiring-${threshold}:${sha}`, 'certificate-expiring', { days: enabled.certificate.daysLeft });
    }
  }

  // The credential refused by RNDS in a direct send: one alert when it starts, one when it clears (a direct send not
  // refused for it, or a new enable), none while it stays. Its own kinds, so a receiver pairs them like the others.
  const refused = enabled !== null && status.problems.some((p) => p.code === 'RNDS_CREDENTIAL_REFUSED');
  const wasRefused = memory.credentialRefused ?? false;
  if (refused && !wasRefused) add(`credential-refused:${at}`, 'credential-refused');
  if (!refused && wasRefused && enabled) {
    const refusal = [...memory.events].reverse().find((e) => e.kind === 'credential-refused');
    const reenabled = refusal !== undefined && Date.parse(enabled.enabledAt) > Date.parse(refusal.at);
    add(`credential-recovered:${at}`, 'credential-recovered', { reenabled });
  }

  // State transitions: the memory holds the last state seen, so a restart in the same state sends nothing. A state
  // degraded only by problems with their own alert (the expiry, the refused credential) sends no `degraded` too.
  const byOthers = status.problems.some((p) => p.severity === 'critical' && !OWN_ALERT.has(p.code));
  let degradedAlerted = memory.degradedAlerted ?? memory.lastState === 'degraded';
  if (status.state === 'degraded' && byOthers && !degradedAlerted) {
    add(`degraded:${at}`, 'degraded');
    degradedAlerted = true;
  }
  // The recovery answers the `degraded` alert; after a refused credential alone, `credential-recovered` says it.
  if (status.state === 'enabled' && memory.lastState === 'degraded' && (degradedAlerted || !wasRefused)) add(`recovered:${at}`, 'recovered');
  memory.lastState = status.state;
  memory.degradedAlerted = status.state === 'degraded' && degradedAlerted;
  memory.credentialRefused = refused;

  // Connection checks: count consecutive failures, one alert at the second, one when it works again.
  const connection = status.connection;
  if (!enabled) {
    memory.connectionFailures = 0;
    memory.connectionFailing = false;
  } else if (connection && connection.checkedAt !== memory.connectionCheckedAt) {
    memory.connectionCheckedAt = connection.checkedAt;
    if (connection.status === 'ok') {
      if (memory.connectionFailing) add(`connection-recovered:${connection.checkedAt}`, 'connection-recovered');
      memory.connectionFailures = 0;
      memory.connectionFailing = false;
    } else {
      memory.connectionFailures += 1;
      if (memory.connectionFailures >= CONNECTION_FAILURES_TO_ALERT && !memory.connectionFailing) {
        memory.connectionFailing = true;
        add(`connection-failing:${connection.checkedAt}`, 'connection-failing');
      }
    }
  }

  // The clock: one alert when RNDS's clock and ours part by more than the limit, none again until they agree.
  const skewed = enabled !== null && status.problems.some((p) => p.code === 'CLOCK_SKEW');
  if (skewed && !memory.clockSkewing) add(`clock-skew:${at}`, 'clock-skew');
  memory.clockSkewing = skewed;

  memory.events = [...memory.events, ...events].slice(-EVENTS_KEPT);
  return { memory, events };
}

interface Message {
  severity: AlertEvent['severity'];
  subject: string;
  text: string;
}

/** The pt-BR subject and text: what happened, on which installation, and what to do. Nothing secret. */
function describe(kind: AlertKind, status: Status, extra: { days?: number; reenabled?: boolean }, guideUrl: string | null, timeZone: string, now: Date): Message {
  const { days } = extra;
  const enabled = status.enabled;
  const cert = enabled?.certificate;
  const holder = cert ? displayName(cert.razaoSocial ?? cert.commonName) : 'nenhum certificado habilitado';
  const cnpj = cert?.cnpj ? ` (CNPJ ${formatCnpj(cert.cnpj)})` : '';
  const file = enabled ? displayName(enabled.file) : '';
  const until = cert ? formatDate(cert.notAfter, timeZone) : '';
  const guide = guideUrl ? ` Passo a passo: ${guideUrl}` : '';
  const facts = [
    `Titular: ${holder}${cnpj}`,
    enabled ? `Arquivo: ${file}` : null,
    cert ? `Válido até: ${until}` : null,
    `Estado do pec-rnds: ${STATE_EXPLAINED[status.state]}`,
  ].filter((line): line is string => line !== null);
  const renew =
    'Providencie o novo certificado A1 do mesmo CNPJ, cadastre-o na credencial da RNDS no e-Gestor AB e copie o arquivo para a pasta chaves: ' +
    'se a senha for a mesma, a tela oferece "Usar o certificado renovado"; senão, habilite-o com a nova senha.' +
    guide;
  let severity: Message['severity'];
  let subject: string;
  let action: string;
  switch (kind) {
    case 'certificate-expiring': {
      const left = days === undefined ? '' : ` (${daysLeftText(days)})`;
      severity = days !== undefined && days <= EXPIRY_ALERT_CRITICAL_DAYS ? 'critical' : 'warning';
      subject = `Certificado da RNDS vence em ${until}${left} — ${holder}`;
      action = `O certificado usado pelo PEC para enviar dados à RNDS vence em ${until}${left}. ${renew}`;
      break;
    }
    case 'certificate-expired':
      severity = 'critical';
      subject = `Certificado da RNDS venceu em ${until} — ${holder}`;
      action = `O certificado venceu em ${until}: o PEC não consegue mais enviar dados à RNDS. ${renew}`;
      break;
    case 'degraded': {
      const problems = status.problems.filter((p) => p.severity === 'critical').map((p) => `- ${p.message}`);
      severity = 'critical';
      subject = `RNDS com problema no certificado — ${holder}`;
      action = `O certificado habilitado não pode ser usado: o PEC não consegue enviar dados à RNDS. O que fazer:\n${problems.join('\n')}`;
      break;
    }
    case 'recovered':
      severity = 'info';
      subject = `RNDS normalizada — ${holder}`;
      action = 'O certificado habilitado voltou a estar em condições de uso. Nada a fazer.';
      break;
    case 'connection-failing': {
      const c = status.connection;
      severity = 'critical';
      subject = `Conexão com a RNDS falhando — ${holder}`;
      action =
        `Os dois últimos testes de conexão com a RNDS falharam (${c ? `${c.message}: ${c.detail}` : 'sem detalhe'}). ` +
        'Confira a internet e o proxy do servidor e, se for "Falha no certificado", se a credencial está ATIVA no e-Gestor AB; depois use "Testar conexão" na tela.';
      break;
    }
    case 'clock-skew': {
      const problem = status.problems.find((p) => p.code === 'CLOCK_SKEW');
      severity = 'warning';
      subject = `Relógio do servidor diferente do da RNDS — ${holder}`;
      action = problem?.message ?? 'O relógio deste servidor difere do da RNDS: ative a sincronização da hora (NTP) e confira o fuso horário.';
      break;
    }
    case 'credential-refused': {
      // The problem's message names the code, the identificador solicitante and the fix; never RNDS's text.
      const problem = status.problems.find((p) => p.code === 'RNDS_CREDENTIAL_REFUSED');
      severity = 'critical';
      subject = `RNDS recusou a credencial — ${holder}`;
      action =
        'A RNDS recusou a credencial num envio direto do PEC: os registros não estão chegando à RNDS. O que fazer:\n' +
        `- ${problem?.message ?? 'confira em e-Gestor AB › Credenciais geradas se a credencial está com STATUS ATIVO e habilite de novo o certificado.'}`;
      break;
    }
    case 'credential-recovered':
      severity = 'info';
      subject = `RNDS voltou a aceitar a credencial — ${holder}`;
      action = extra.reenabled
        ? 'O certificado foi habilitado de novo depois da recusa da credencial. O próximo envio direto do PEC confirma se a RNDS aceita a credencial: se ela recusar de novo, chega outro alerta.'
        : 'O último envio direto informado pelo PEC não foi recusado pela credencial: a RNDS voltou a aceitá-la. Nada a fazer.';
      break;
    case 'connection-recovered':
      severity = 'info';
      subject = `Conexão com a RNDS restabelecida — ${holder}`;
      action = `O teste de conexão com a RNDS voltou a funcionar em ${formatDateTime(status.connection?.checkedAt ?? now, timeZone)}. Nada a fazer.`;
      break;
  }
  return { severity, subject: `[pec-rnds] ${subject}`, text: `${action}\n\n${facts.join('\n')}\n` };
}

function details(status: Status, kind: AlertKind, days: number | undefined, sendCodes: SendCodes): AlertEvent['details'] {
  const enabled = status.enabled;
  const cert = enabled?.certificate;
  return {
    state: status.state,
    file: enabled?.file ?? null,
    cnpj: cert?.cnpj ?? null,
    razaoSocial: cert?.razaoSocial ?? null,
    notAfter: cert?.notAfter ?? null,
    daysLeft: kind === 'certificate-expiring' ? (days ?? null) : (cert?.daysLeft ?? null),
    environment: enabled?.environment ?? null,
    connection: status.connection?.status ?? null,
    problems: status.problems.map((p) => p.code).join(',') || null,
    ...(kind === 'clock-skew' ? { clockSkewSeconds: status.clock?.skewSeconds ?? null, rndsCode: sendCodes.clock.join(',') || null } : {}),
    ...(kind === 'credential-refused' ? { rndsCode: sendCodes.credential } : {}),
  };
}
