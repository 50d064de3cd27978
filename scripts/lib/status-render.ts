/** `npm run status`'s two outputs: the pt-BR report for a person and the JSON for monitoring. */
import { lookAlikeNames } from '../../module/chaves/index.js';
import { ENTRY_STATUS_LABEL, STATE_LABEL, commonNameOf, daysLeftText, environmentLabel, formatBytes, formatCnpj, formatDate, formatDateTime, servicesLabel } from '../../module/present/index.js';
import { GUIDE_PATH, renewalReminder } from '../../module/enablement/renewal-reminder.js';
import { formatStep } from '../../module/rnds/index.js';
import { EXIT_LABEL, safe, safeJson, table } from './cli.js';
import type { ServerCheck } from './health-check.js';
import { stateLabel, type StatusReport } from './status-check.js';

/** The pt-BR report for a person: first line Nagios style, then the details. */
export function renderHuman(report: StatusReport, options: { verbose?: boolean } = {}): string {
  const lines = [report.summary, ''];
  if (report.error) {
    lines.push(...report.error.message.split('\n').map(safe));
    lines.push('');
    lines.push(...serverLines(report.server));
    lines.push(...table([['Pasta de dados', safe(report.dataDir ?? '(não definida)')], ['Versão', `pec-rnds ${report.version}`]]));
    return lines.join('\n') + '\n';
  }
  const status = report.status!;
  const enabled = status.enabled;
  const { timeZone } = report;
  const expired = status.problems.some((p) => p.code === 'CERTIFICATE_EXPIRED');
  const rows: Array<[string, string]> = [['Estado', status.state === 'degraded' ? `${STATE_LABEL.degraded} (habilitado, mas sem condições de uso)` : stateLabel(status.state)]];
  if (enabled) {
    const c = enabled.certificate;
    rows.push(
      ['Certificado', safe(enabled.file)],
      ['Titular', safe(c.razaoSocial ?? c.commonName)],
      ['CNPJ', c.cnpj ? formatCnpj(c.cnpj) : '(não encontrado no certificado)'],
      ['Válido até', `${formatDate(c.notAfter, timeZone)} (${daysLeftText(c.daysLeft, expired)})`],
      ['Emissor', safe(commonNameOf(c.issuer))],
      ['Habilitado em', formatDateTime(enabled.enabledAt, timeZone)],
      ['Identificador solicitante', safe(enabled.identificadorSolicitante) || '(não informado)'],
      ['Serviços', servicesLabel(enabled.services)],
      ['Ambiente', environmentLabel(enabled.environment)],
    );
    const connection = status.connection;
    rows.push([
      'Última conexão',
      connection ? `${safe(connection.message)} em ${formatDateTime(connection.checkedAt, timeZone)} — ${safe(connection.detail)}` : 'nenhum teste de conexão feito ainda (use "Testar conexão" na tela)',
    ]);
    if (connection?.via) rows.push(['Caminho', safe(connection.via)]);
    const lastSend = report.sends && 'lastSend' in report.sends ? report.sends.lastSend : null;
    // Time and PEC's four words only: never the record, its patient or RNDS's diagnostics.
    if (lastSend) rows.push(['Status do último envio', `${lastSend.message} (envio direto de ${formatDateTime(lastSend.at, timeZone)})`]);
    for (const result of connection?.services && connection.services.length > 1 ? connection.services : []) {
      rows.push([`  ${result.service}`, `${safe(result.message)} — ${safe(result.detail)}`]);
    }
  }
  rows.push(['Proxy (ambiente)', report.proxy ?? 'nenhum: conexão direta']);
  rows.push(['Contra-chave', status.contraChaveOrigin === 'gerada' ? `${status.contraChave} (gerada para teste: não é a desta instalação)` : status.contraChave]);
  lines.push(...table(rows));
  if (options.verbose && status.connection) {
    const results = status.connection.services && status.connection.services.length > 0 ? status.connection.services : [{ service: 'RNDS', steps: status.connection.steps }];
    lines.push('');
    lines.push('Etapas do último teste de conexão:');
    for (const result of results) {
      if (results.length > 1) lines.push(`  ${result.service}:`);
      const steps = result.steps ?? [];
      if (steps.length === 0) lines.push('    (nenhuma etapa de rede: o teste parou antes de conectar)');
      for (const step of steps) lines.push(`    ${safe(formatStep(step))}`);
    }
  }

  lines.push('');
  if (report.findings.length === 0) {
    lines.push('Problemas: nenhum');
  } else {
    lines.push('Problemas e o que fazer:');
    for (const f of report.findings) lines.push(`  - [${EXIT_LABEL[f.severity]}] ${f.message}`);
  }

  if (report.sends && 'message' in report.sends) {
    lines.push('');
    lines.push(safe(report.sends.message));
  }

  if (status.renewal) {
    const r = status.renewal;
    const where = r.sameFile ? `${safe(r.file)} (por cima do habilitado)` : safe(r.file);
    lines.push('');
    lines.push(`Certificado renovado na pasta: ${where}, válido até ${formatDate(r.certificate.notAfter, timeZone)}, emitido por ${safe(commonNameOf(r.certificate.issuer))}.`);
    lines.push(
      `  Ele abre com a senha guardada: use-o na tela Certificados (botão "Usar o certificado renovado"), sem digitar a senha de novo.` +
        (report.renewalSource === 'pasta' ? ' (Encontrado agora na pasta: o servidor não respondeu.)' : ''),
    );
  }

  const reminder = renewalReminder(status, timeZone);
  if (reminder) {
    lines.push('');
    lines.push(`Renovação do certificado: ${reminder.title}`);
    reminder.steps.forEach((step, i) => lines.push(`  ${i + 1}. ${safe(step)}`));
    lines.push(`  Passo a passo: ${report.guideUrl ?? `o guia de credenciamento da tela (${GUIDE_PATH})`}`);
  }

  lines.push('');
  const dir = status.chavesDir;
  const dirState = !dir.exists ? 'não existe' : !dir.readable ? 'sem permissão de leitura' : `${status.certificates.length} arquivo${status.certificates.length === 1 ? '' : 's'} de certificado`;
  lines.push(`Pasta chaves: ${safe(dir.path)} (${dirState})`);
  const twins = lookAlikeNames(status.certificates.map((entry) => entry.file));
  for (const entry of status.certificates) {
    const mark = (enabled?.file === entry.file ? '  ← habilitado' : '') + (twins.has(entry.file) ? '  (outro arquivo tem o mesmo nome aparente: renomeie um deles)' : '');
    lines.push(`  ${safe(entry.file)} — ${ENTRY_STATUS_LABEL[entry.status] ?? entry.status}, ${formatBytes(entry.size)}, modificado em ${formatDateTime(entry.modifiedAt, timeZone)}${mark}`);
    if (entry.reason) lines.push(`      ${safe(entry.reason)}`);
  }
  lines.push('');
  lines.push(...serverLines(report.server));
  lines.push(...table([['Pasta de dados', safe(report.dataDir ?? '')], ['Versão', `pec-rnds ${report.version}`]]));
  return lines.join('\n') + '\n';
}

function serverLines(server: ServerCheck): string[] {
  if (!server.checked) return [`Servidor: não verificado${server.url ? '' : ' (PORT=0: porta escolhida na hora; use --url)'}`];
  if (server.reachable) return [`Servidor: respondendo em ${server.url}`];
  return [`Servidor: não responde em ${server.url} (${server.error ?? 'sem resposta'})`];
}

/** The JSON for monitoring: the Status of docs/CONTRACT.md plus `server`, `version` and the check result. */
export function renderJson(report: StatusReport): string {
  const check = { code: report.exitCode, label: EXIT_LABEL[report.exitCode], summary: report.summary, findings: report.findings.map(({ code, severity, message }) => ({ code, severity: EXIT_LABEL[severity], message })) };
  const server = { reachable: report.server.reachable, url: report.server.url, ...(report.server.rnds ? { rnds: report.server.rnds } : {}), ...(report.server.error ? { error: report.server.error } : {}) };
  const body = report.status
    ? { ...report.status, renewalReminder: reminderJson(report), sends: report.sends ?? null, server, version: report.version, dataDir: report.dataDir, check }
    : { state: 'unknown', error: report.error, server, version: report.version, dataDir: report.dataDir, check };
  if (report.status) Object.assign(body, { proxy: report.proxy ?? null });
  return safeJson(body) + '\n';
}

function reminderJson(report: StatusReport): (ReturnType<typeof renewalReminder> & { guideUrl: string | null }) | null {
  const reminder = report.status ? renewalReminder(report.status, report.timeZone) : null;
  return reminder ? { ...reminder, guideUrl: report.guideUrl ?? null } : null;
}
