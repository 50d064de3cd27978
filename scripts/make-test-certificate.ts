/**
 * `npm run make-test-certificate`: a TEST certificate shaped like an ICP-Brasil e-CNPJ A1, written into the chaves
 * folder, so a new user can try the whole flow (list, password, habilitar) in a minute. RNDS never accepts it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { optionsFromEnv, timeZoneFromEnv } from '../module/config/env.js';
import { isCertificateFileName, isPlainFileName } from '../module/chaves/index.js';
import { expiryText, formatCnpj, formatDate } from '../module/present/index.js';
import { readPassword } from './lib/password.js';
import { EXIT, argsErrorText, errorText, safe, safeJson } from './lib/cli.js';
import { DEFAULTS, ENCODING_DESCRIPTION, TEST_MARK, createTestCertificate, generatePassword, type TestEncoding } from './lib/test-certificate.js';

const USAGE = `Uso: npm run make-test-certificate -- [opções]

Cria um certificado de TESTE no formato de um e-CNPJ A1 da ICP-Brasil (CN "RAZÃO SOCIAL:CNPJ",
CNPJ, responsável e CPF nos campos ICP-Brasil, uso clientAuth), emitido por uma AC de teste
descartável, e grava o arquivo .pfx na pasta chaves. Serve para experimentar a tela (listar,
digitar a senha, habilitar). A RNDS NÃO aceita este certificado: o teste de conexão falha.

Opções:
  --cnpj <cnpj>            CNPJ do titular (padrão ${formatCnpj(DEFAULTS.cnpj)}; aceita o alfanumérico)
  --razao-social <nome>    razão social (padrão "${DEFAULTS.razaoSocial}")
  --responsavel <nome>     nome do responsável (padrão "${DEFAULTS.responsibleName}")
  --cpf <cpf>              CPF do responsável (padrão 123.456.789-09)
  --days <n>               validade em dias a partir de agora (padrão ${DEFAULTS.days});
                           0 ou negativo cria um certificado já expirado
  --encoding <tipo>        aes    ${ENCODING_DESCRIPTION.aes}
                           legacy ${ENCODING_DESCRIPTION.legacy}
                           3des   ${ENCODING_DESCRIPTION['3des']}
  --out <pasta>            onde gravar (padrão: a pasta chaves do RNDS_CHAVES_DIR, a mesma do npm start)
  --file <nome>            nome do arquivo (padrão certificado-teste.pfx; termine em .pfx ou .p12)
  --ask-password           pede a senha (oculta no terminal; ou lida da entrada padrão)
                           em vez de gerar uma
  --force                  substitui um arquivo que já exista com esse nome
  --json                   imprime o resultado em JSON (inclui a senha)
  -h, --help               esta ajuda
`;

type Values = {
  cnpj?: string;
  'razao-social'?: string;
  responsavel?: string;
  cpf?: string;
  days?: string;
  encoding?: string;
  out?: string;
  file?: string;
  'ask-password'?: boolean;
  force?: boolean;
  json?: boolean;
  help?: boolean;
};

async function main(): Promise<number> {
  let values: Values;
  try {
    ({ values } = parseArgs({
      options: {
        cnpj: { type: 'string' },
        'razao-social': { type: 'string' },
        responsavel: { type: 'string' },
        cpf: { type: 'string' },
        days: { type: 'string' },
        encoding: { type: 'string' },
        out: { type: 'string' },
        file: { type: 'string' },
        'ask-password': { type: 'boolean' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
      args: joinNegativeDays(process.argv.slice(2)),
    }) as { values: Values });
  } catch (error) {
    process.stderr.write(`${argsErrorText(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const encoding = (values.encoding ?? DEFAULTS.encoding) as TestEncoding;
  if (!(encoding in ENCODING_DESCRIPTION)) return fail(`--encoding deve ser aes, legacy ou 3des (recebido: ${safe(values.encoding)}).`);
  const days = values.days === undefined ? DEFAULTS.days : Number(values.days);
  if (!Number.isInteger(days)) return fail(`--days deve ser um número inteiro de dias (recebido: ${safe(values.days)}); use negativo para um certificado já expirado.`);
  const fileName = values.file ?? 'certificado-teste.pfx';
  if (!isPlainFileName(fileName) || !isCertificateFileName(fileName)) {
    return fail(`--file deve ser só um nome de arquivo terminado em .pfx ou .p12, sem pastas (recebido: ${safe(fileName)}).`);
  }

  let timeZone: string;
  try {
    // The dates as the screen will show them: RNDS_TIME_ZONE, else RNDS_UF's zone.
    timeZone = timeZoneFromEnv(process.env);
  } catch (error) {
    return fail(errorText(error));
  }

  let outDir: string;
  if (values.out) {
    outDir = path.resolve(values.out);
  } else {
    try {
      const { env } = optionsFromEnv();
      outDir = env.RNDS_CHAVES_DIR;
      // Same as npm start: the local ./chaves is created, PEC's own folder must already exist.
      if (env.chavesDirSource === 'local') fs.mkdirSync(outDir, { recursive: true });
    } catch (error) {
      return fail(errorText(error));
    }
  }
  if (!fs.existsSync(outDir) || !fs.statSync(outDir).isDirectory()) {
    return fail(`A pasta ${safe(outDir)} não existe: crie-a (é a pasta chaves do PEC) ou escolha outra com --out.`);
  }
  const target = path.join(outDir, fileName);
  if (fs.existsSync(target) && !values.force) {
    return fail(`Já existe ${safe(target)}: escolha outro nome com --file ou use --force para substituí-lo.`);
  }

  let password: string;
  let generated = false;
  if (values['ask-password']) {
    try {
      password = await readPassword('Senha para o certificado de teste: ');
    } catch (error) {
      return fail(errorText(error));
    }
  } else {
    password = generatePassword();
    generated = true;
  }

  const now = new Date();
  let made;
  try {
    made = createTestCertificate({
      now,
      password,
      cnpj: values.cnpj,
      razaoSocial: values['razao-social'],
      responsibleName: values.responsavel,
      responsibleCpf: values.cpf,
      days,
      encoding,
    });
  } catch (error) {
    return fail(errorText(error));
  }

  try {
    writeNoClobber(target, made.pfx, values.force === true);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return fail(`Já existe ${safe(target)}: escolha outro nome com --file ou use --force para substituí-lo.`);
    return fail(`Não foi possível gravar ${safe(target)} (${code ?? errorText(error)}): confira as permissões da pasta (rode como quem pode escrever na pasta chaves) ou use --out.`);
  }

  if (values.json) {
    process.stdout.write(
      safeJson({
        file: target,
        password,
        passwordGenerated: generated,
        commonName: made.commonName,
        cnpj: made.cnpj,
        notBefore: made.notBefore.toISOString(),
        notAfter: made.notAfter.toISOString(),
        encoding,
        test: true,
      }) + '\n',
    );
    return 0;
  }
  const out = [
    `Certificado de TESTE criado: ${safe(target)}`,
    `  Titular:     ${safe(made.commonName)} (CNPJ ${formatCnpj(made.cnpj)})`,
    `  Válido até:  ${formatDate(made.notAfter, timeZone)} (${expiryText(made.notAfter, now, timeZone)})`,
    `  Codificação: ${encoding} — ${ENCODING_DESCRIPTION[encoding]}`,
    ...(generated ? [`  Senha:       ${password}    (gerada agora; guarde-a para habilitar)`] : ['  Senha:       a que você digitou']),
    '',
    `Atenção: é um certificado de teste ("${TEST_MARK}"), emitido por uma AC de teste descartável.`,
    'A RNDS não o aceita: habilitar funciona, mas o teste de conexão termina em "Falha no certificado" ou "Sem conexão".',
    '',
    'Próximo passo: abra a tela (o endereço "Entrar" mostrado pelo npm start), escolha o arquivo em Certificado,',
    'digite a senha e um identificador solicitante (por exemplo 3167) e clique em Habilitar.',
  ];
  if (days <= 0) out.push('', 'Este certificado já está expirado: a tela deve recusá-lo com "Certificado expirado".');
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

/**
 * Writes next to the target under a name the chaves watcher ignores, then moves it in place in one step, so the
 * screen never lists a half-written file; without `force`, an existing file is never replaced (link fails).
 */
function writeNoClobber(target: string, bytes: Buffer, force: boolean): void {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  // 0640: the service user reads it through the folder's group or ACL; nobody else needs it.
  fs.writeFileSync(temp, bytes, { mode: 0o640, flag: 'wx' });
  try {
    if (force) {
      fs.renameSync(temp, target);
      return;
    }
    try {
      fs.linkSync(temp, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Some shares (FAT, SMB) cannot hard-link: fall back to a checked rename.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
      if (fs.existsSync(target)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      fs.renameSync(temp, target);
      return;
    }
    fs.unlinkSync(temp);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** parseArgs reads `--days -30` as two options; an installer typing it means `--days=-30`. */
function joinNegativeDays(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--days' && /^-\d+$/.test(args[i + 1] ?? '')) out.push(`--days=${args[++i]}`);
    else out.push(args[i]!);
  }
  return out;
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 2;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`Erro inesperado: ${errorText(error)}\n`);
    process.exitCode = EXIT.UNKNOWN;
  },
);
