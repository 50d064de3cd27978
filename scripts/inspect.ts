/**
 * `npm run inspect -- <arquivo>`: what the module will see in a certificate file, before the installer drops it into
 * the chaves folder. The password comes from a hidden prompt or from stdin — never from the command line, where it
 * would land in the shell history and in `ps`. Exit codes: 0 OK, 1 WARNING, 2 cannot be used, 3 UNKNOWN.
 */
import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openPkcs12, DEFAULT_MAX_BYTES, DEFAULT_MAX_ITERATIONS, type OpenedCertificate } from '../module/certificates/index.js';
import { isCertificateFileName } from '../module/chaves/index.js';
import { contentReason } from '../module/chaves/reasons.js';
import { refusedByRnds } from '../module/certificates/warnings.js';
import { isRndsError } from '../module/errors.js';
import { timeZoneFromEnv } from '../module/config/env.js';
import { daysLeftText, formatBytes, formatCnpj, formatCpf, formatDate } from '../module/present/index.js';
import { readPassword } from './lib/password.js';
import { EXIT, EXIT_LABEL, OPEN_ERROR_LABEL, argsErrorText, errorText, safe, safeJson, table, type ExitCode } from './lib/cli.js';

const USAGE = `Uso: npm run inspect -- <arquivo.pfx> [--json]

Mostra o que o pec-rnds vê num certificado (.pfx ou .p12) antes de copiá-lo para a pasta chaves:
se a senha abre o arquivo (e, se não, por quê), titular, CNPJ, responsável, validade, cadeia,
codificação e tipo de chave, e os avisos.

A senha é pedida sem aparecer na tela; num script, envie-a pela entrada padrão:
  npm run -s inspect -- municipio.pfx < arquivo-com-a-senha
Nunca na linha de comando (ficaria no histórico do shell e visível no ps).

Códigos de saída: 0 pode ser habilitado, 1 pode, com avisos (vence em 30 dias ou menos, sem
clientAuth, certificado de servidor HTTPS, e-CPF, fora da ICP-Brasil, nome sem .pfx/.p12),
2 não pode ser usado (senha incorreta, expirado, não é um .pfx/.p12…), 3 não foi possível
verificar (arquivo não encontrado…). Um arquivo AES, que o PEC anterior à 5.3 (Java 8) pode não
abrir, é dito em "Para o PEC" sem mudar o código.
`;

interface Outcome {
  code: ExitCode;
  summary: string;
  file: string;
  size: number | null;
  opened: OpenedCertificate | null;
  chain: Array<{ subject: string; notAfter: string }>;
  warnings: string[];
  error?: { code: string; message: string };
}

async function main(): Promise<number> {
  let values: { json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    process.stderr.write(`${argsErrorText(error)}\n\n${USAGE}`);
    return EXIT.UNKNOWN;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`Informe um arquivo (e só um).\n\n${USAGE}`);
    return EXIT.UNKNOWN;
  }
  let timeZone: string;
  try {
    // The dates as the screen will show them: RNDS_TIME_ZONE, else RNDS_UF's zone.
    timeZone = timeZoneFromEnv(process.env);
  } catch (error) {
    process.stderr.write(`${errorText(error)}\n`);
    return EXIT.UNKNOWN;
  }
  const outcome = await inspect(positionals[0]!, timeZone);
  process.stdout.write(values.json ? renderJson(outcome) : renderHuman(outcome, timeZone));
  return outcome.code;
}

async function inspect(file: string, timeZone: string): Promise<Outcome> {
  const name = path.basename(file);
  const base = { file, size: null, opened: null, chain: [], warnings: [] };
  let bytes: Buffer;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return { ...base, code: EXIT.UNKNOWN, summary: `${safe(file)} não é um arquivo`, error: { code: 'NOT_A_FILE', message: `${safe(file)} não é um arquivo comum: informe o caminho do .pfx ou .p12.` } };
    if (stat.size > DEFAULT_MAX_BYTES * 4) {
      // Refused before reading: a certificate is a few KB; this is some other file.
      return {
        ...base,
        size: stat.size,
        code: EXIT.CRITICAL,
        summary: `${safe(name)} é grande demais para ser um certificado`,
        error: { code: 'CERTIFICATE_TOO_LARGE', message: `O arquivo tem ${formatBytes(stat.size)}; um certificado A1 tem poucos KB (o pec-rnds aceita até ${formatBytes(DEFAULT_MAX_BYTES)}). Confira se é o arquivo certo.` },
      };
    }
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `Arquivo não encontrado: ${safe(file)}. Confira o caminho (use aspas se tiver espaços).`
        : code === 'EACCES' || code === 'EPERM'
          ? `Sem permissão para ler ${safe(file)}: rode o comando como um usuário que possa lê-lo.`
          : `Não foi possível ler ${safe(file)} (${code ?? errorText(error)}).`;
    return { ...base, code: EXIT.UNKNOWN, summary: message.split(/(?<=\.)\s/)[0]!, error: { code: code ?? 'READ_FAILED', message } };
  }

  // What the file is, said as the screen, the guide and `npm run status` say it, before any password: a PEM, a zip or
  // a renamed .cer gets the same reason and the same next step everywhere.
  const reason = bytes.length > 0 ? contentReason(name, bytes) : null;
  if (reason) {
    return { ...base, size: bytes.length, code: EXIT.CRITICAL, summary: `${safe(name)} não pode ser usado: não é um certificado .pfx/.p12`, error: { code: 'INVALID_CERTIFICATE', message: reason } };
  }

  let password: string;
  try {
    password = await readPassword(`Senha do certificado ${safe(name)}: `);
  } catch (error) {
    return { ...base, size: bytes.length, code: EXIT.UNKNOWN, summary: 'a senha não foi lida', error: { code: 'ABORTED', message: errorText(error) } };
  }

  let opened: OpenedCertificate;
  const now = new Date();
  try {
    opened = openPkcs12(bytes, password, { fileName: name, checkValidity: false, maxBytes: DEFAULT_MAX_BYTES, maxIterations: DEFAULT_MAX_ITERATIONS, now, timeZone });
  } catch (error) {
    if (isRndsError(error)) {
      return { ...base, size: bytes.length, code: EXIT.CRITICAL, summary: `${safe(name)} não pode ser usado: ${safe(error.message)}`, error: { code: error.code, message: error.message } };
    }
    return { ...base, size: bytes.length, code: EXIT.UNKNOWN, summary: `erro inesperado ao abrir ${safe(name)}`, error: { code: 'INTERNAL', message: errorText(error) } };
  }

  const chain = opened.chainPem.map((pem) => {
    const x509 = new X509Certificate(pem);
    return { subject: x509.subject.split('\n').reverse().join(', '), notAfter: new Date(x509.validTo).toISOString() };
  });
  const warnings = [...opened.kindWarnings.filter(refusedByRnds).map((warning) => warning.message), ...opened.warnings];
  if (!isCertificateFileName(name)) {
    warnings.push(`O nome ${safe(name)} não termina em .pfx nem .p12: a pasta chaves só lista esses arquivos. Renomeie-o ao copiar (por exemplo municipio.pfx).`);
  }
  const outcome: Outcome = { code: EXIT.OK, summary: '', file, size: bytes.length, opened, chain, warnings };
  if (opened.notAfter.getTime() <= now.getTime()) {
    return { ...outcome, code: EXIT.CRITICAL, summary: `${safe(name)} abre, mas expirou em ${formatDate(opened.notAfter, timeZone)}: obtenha um certificado novo no e-Gestor AB`, error: { code: 'CERTIFICATE_EXPIRED', message: `O certificado expirou em ${formatDate(opened.notAfter, timeZone)}.` } };
  }
  if (opened.notBefore.getTime() > now.getTime()) {
    return { ...outcome, code: EXIT.CRITICAL, summary: `${safe(name)} abre, mas só é válido a partir de ${formatDate(opened.notBefore, timeZone)}`, error: { code: 'CERTIFICATE_NOT_YET_VALID', message: `O certificado só é válido a partir de ${formatDate(opened.notBefore, timeZone)}: confira a data e a hora do servidor.` } };
  }
  if (warnings.length > 0) return { ...outcome, code: EXIT.WARNING, summary: `${safe(name)} abre e pode ser habilitado, com ${warnings.length === 1 ? 'um aviso' : `${warnings.length} avisos`}` };
  return { ...outcome, summary: `${safe(name)} abre com esta senha e pode ser habilitado` };
}

function renderHuman(outcome: Outcome, timeZone: string): string {
  const lines = [`${EXIT_LABEL[outcome.code]} - ${outcome.summary}`, ''];
  const c = outcome.opened;
  const rows: Array<[string, string]> = [['Arquivo', `${safe(outcome.file)}${outcome.size === null ? '' : ` (${formatBytes(outcome.size)})`}`]];
  if (!c) {
    if (outcome.error) rows.push(['Abre com a senha', outcome.size === null ? 'não verificado' : `não — ${OPEN_ERROR_LABEL[outcome.error.code] ?? 'não pode ser usado'} (${outcome.error.code})`]);
    lines.push(...table(rows));
    // The first line already holds the engine's message; repeat only what it left out (what to do).
    if (outcome.error && !outcome.summary.includes(safe(outcome.error.message))) lines.push('', safe(outcome.error.message));
    return lines.join('\n') + '\n';
  }
  rows.push(
    ['Abre com a senha', 'sim'],
    ['Titular', safe(c.razaoSocial ?? c.commonName)],
    ['CNPJ', c.cnpj ? formatCnpj(c.cnpj) : '(não encontrado no certificado)'],
    ['Responsável', c.responsibleName ? `${safe(c.responsibleName)}${c.responsibleCpf ? ` (CPF ${formatCpf(c.responsibleCpf)})` : ''}` : '(não informado no certificado)'],
    ['Válido', `de ${formatDate(c.notBefore, timeZone)} até ${formatDate(c.notAfter, timeZone)} (${daysLeftText(c.daysLeft, outcome.error?.code === 'CERTIFICATE_EXPIRED')})`],
    ['Assunto', safe(c.subject)],
    ['Emissor', safe(c.issuer)],
    ['Número de série', c.serialNumber],
    ['Codificação', safe(c.encoding)],
    ['Chave', c.keyType === 'EC' ? `EC ${c.curve ?? ''} (${c.keySize} bits)` : `${c.keyType} ${c.keySize} bits`],
    ['Autenticação de cliente', c.clientAuth ? 'sim (clientAuth)' : 'não'],
    ['Nome amigável', c.friendlyName ? safe(c.friendlyName) : '(nenhum)'],
    ['SHA-256 do arquivo', c.sha256],
  );
  lines.push(...table(rows));
  lines.push('', outcome.chain.length === 0 ? 'Cadeia: só o certificado (sem certificados das autoridades certificadoras)' : `Cadeia (${outcome.chain.length} certificado${outcome.chain.length === 1 ? '' : 's'} além do titular):`);
  outcome.chain.forEach((link, i) => lines.push(`  ${i + 1}. ${safe(link.subject)} (válido até ${formatDate(link.notAfter, timeZone)})`));
  if (outcome.warnings.length > 0) {
    lines.push('', 'Avisos:');
    for (const warning of outcome.warnings) lines.push(`  - ${safe(warning)}`);
  }
  // Not about RNDS (the exit code stays): whether it matters depends on the PEC version, which only the installer knows.
  const forPec = c.kindWarnings.filter((warning) => !refusedByRnds(warning));
  if (forPec.length > 0) {
    lines.push('', 'Para o PEC:');
    for (const warning of forPec) lines.push(`  - ${safe(warning.message)}`);
  }
  return lines.join('\n') + '\n';
}

function renderJson(outcome: Outcome): string {
  const c = outcome.opened;
  const certificate = c
    ? {
        subject: c.subject,
        commonName: c.commonName,
        razaoSocial: c.razaoSocial,
        cnpj: c.cnpj,
        responsibleName: c.responsibleName,
        responsibleCpf: c.responsibleCpf,
        issuer: c.issuer,
        serialNumber: c.serialNumber,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
        daysLeft: c.daysLeft,
        sha256: c.sha256,
        keyType: c.keyType,
        keySize: c.keySize,
        curve: c.curve,
        clientAuth: c.clientAuth,
        encoding: c.encoding,
        friendlyName: c.friendlyName,
        chain: outcome.chain,
        warnings: c.kindWarnings,
      }
    : null;
  return (
    safeJson({
      file: outcome.file,
      size: outcome.size,
      opened: c !== null,
      certificate,
      warnings: outcome.warnings,
      error: outcome.error ?? null,
      check: { code: outcome.code, label: EXIT_LABEL[outcome.code], summary: outcome.summary },
    }) + '\n'
  );
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stdout.write(`UNKNOWN - erro inesperado: ${errorText(error).split('\n')[0]}\n`);
    process.exitCode = EXIT.UNKNOWN;
  },
);
