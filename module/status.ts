import { PROBLEM_SEVERITY } from './enums.js';
import { EXPIRING_DAYS, daysLeft, daysLeftText, displayName, formatDate } from './present/index.js';
import type { ChavesDirInfo, Connection, ContraChaveOrigin, EnabledInfo, Entry, Problem, ProblemCode, ProblemSeverity, RenewalInfo, Status } from './types.js';

/** `critical` when the problem degrades an enabled state, else `warning` (CONTRACT.md). */
export function severityOf(code: ProblemCode): ProblemSeverity {
  return PROBLEM_SEVERITY[code];
}

export interface StatusInput {
  contraChave: string;
  /** Absent in state files written before the origin was kept: a generated value. */
  contraChaveOrigin?: ContraChaveOrigin;
  /** Set when the contra-chave changed while a certificate was enabled (until the next enable). */
  contraChaveChanged?: { previous: string; changedAt: string } | null;
  chavesDir: ChavesDirInfo;
  certificates: Entry[];
  enabled: EnabledInfo | null;
  connection: Connection | null;
  /** False when the stored password cannot be decrypted (key missing, ciphertext tampered). */
  secretReadable: boolean;
  /** Why, in the words of whatever failed (e.g. the key file's mode and the chmod that fixes it); a generic text when absent. */
  secretProblem?: string;
  /** A renewed certificate that opens with the stored password (found by the Enablement), if any. */
  renewal?: RenewalInfo | null;
  now: Date;
  /** The installation's time zone (present/dates.ts): the dates in the messages and the calendar days left. */
  timeZone: string;
}

/**
 * The one place that decides `enabled` / `disabled` / `degraded` and which problems to report. The screen, the API,
 * the CLI and the metrics all read its answer.
 */
export function computeStatus(input: StatusInput): Status {
  const { chavesDir, certificates, now, timeZone } = input;
  const problems: Problem[] = [];
  const push = (code: ProblemCode, message: string): void => {
    problems.push({ code, severity: severityOf(code), message });
  };
  const contraChaveOrigin: ContraChaveOrigin = input.contraChaveOrigin ?? 'gerada';

  if (!chavesDir.exists) {
    push('CHAVES_DIR_MISSING', `A pasta chaves não existe: crie a pasta ${chavesDir.path} no servidor e copie para ela o certificado (.pfx ou .p12).`);
  } else if (!chavesDir.readable) {
    push('CHAVES_DIR_MISSING', `A pasta chaves (${chavesDir.path}) não pode ser lida pelo módulo: dê permissão de leitura ao usuário do serviço.`);
  }

  let enabled: EnabledInfo | null = null;
  if (input.enabled) {
    const certificate = { ...input.enabled.certificate, daysLeft: daysLeft(input.enabled.certificate.notAfter, now, timeZone) };
    enabled = { ...input.enabled, certificate };
    const enabledFile = enabled.file;
    const entry = certificates.find((e) => e.file === enabledFile);
    const file = displayName(enabled.file);
    if (chavesDir.exists && !entry) {
      push('CERTIFICATE_MISSING', `O arquivo ${file} foi removido da pasta chaves: copie-o de volta para ${chavesDir.path} ou habilite outro certificado.`);
    } else if (entry && entry.status !== 'ready') {
      push('CERTIFICATE_CHANGED', `O arquivo ${file} na pasta chaves está sendo substituído ou não pode ser lido: aguarde a cópia terminar ou verifique as permissões do arquivo.`);
    } else if (entry && entry.sha256 !== certificate.sha256 && input.renewal?.sameFile && input.renewal.sha256 === entry.sha256) {
      push('CERTIFICATE_CHANGED', `O arquivo ${file} foi substituído por um certificado renovado do mesmo CNPJ, válido até ${formatDate(input.renewal.certificate.notAfter, timeZone)}, que abre com a senha guardada: clique em "Usar o certificado renovado" para passar a usá-lo, sem digitar a senha de novo.`);
    } else if (entry && entry.sha256 !== certificate.sha256) {
      push('CERTIFICATE_CHANGED', `O arquivo ${file} foi substituído por outro conteúdo: habilite o certificado novamente, digitando a senha, ou copie de volta o arquivo original.`);
    }
    if (new Date(certificate.notAfter).getTime() <= now.getTime()) {
      push('CERTIFICATE_EXPIRED', `O certificado expirou em ${formatDate(certificate.notAfter, timeZone)}: baixe um certificado novo no e-Gestor AB, copie-o para a pasta chaves e habilite-o.`);
    } else if (certificate.daysLeft <= EXPIRING_DAYS) {
      push('CERTIFICATE_EXPIRING', `O certificado vence em ${formatDate(certificate.notAfter, timeZone)} (${daysLeftText(certificate.daysLeft)}): providencie a renovação no e-Gestor AB antes dessa data.`);
    }
    if (!input.secretReadable) {
      push(
        'SECRET_UNREADABLE',
        input.secretProblem ??
          'A senha guardada do certificado não pode mais ser lida (a chave de proteção foi perdida ou alterada): reinforme a senha e habilite o certificado novamente.',
      );
    }
  }

  if (enabled && input.contraChaveChanged) {
    push(
      'CONTRA_CHAVE_CHANGED',
      `A contra-chave desta instalação mudou (era ${input.contraChaveChanged.previous}, agora é ${input.contraChave}) com o certificado habilitado: ` +
        'a credencial da RNDS foi gerada para a contra-chave anterior. Solicite uma nova credencial no e-Gestor AB com a contra-chave atual ' +
        'e habilite de novo o certificado (ou volte a configurar a contra-chave anterior, se a troca foi um engano).',
    );
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
  const state = !enabled ? 'disabled' : degraded ? 'degraded' : 'enabled';
  return {
    state,
    contraChave: input.contraChave,
    contraChaveOrigin,
    chavesDir,
    certificates,
    enabled,
    connection: input.connection,
    problems,
    ...(input.renewal !== undefined ? { renewal: enabled ? input.renewal : null } : {}),
  };
}
