import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, EnvError, optionsFromEnv, timeZoneFromEnv } from '../../../module/config/env.js';
import { parseOptions } from '../../../module/config/options.js';
import { ROOT, tempDir } from '../../support/files.js';

const TOKEN = 'token-de-acesso-com-32-caracteres';
const NO_PEC = { platform: 'linux' as const, exists: () => false };

function errorOf(run: () => unknown): EnvError {
  try {
    run();
  } catch (error) {
    if (error instanceof EnvError) return error;
    throw error;
  }
  throw new Error('expected an EnvError');
}

describe('optionsFromEnv', () => {
  it('when RNDS_CA_FILE is empty, then it counts as unset, as the other empty variables do', () => {
    const config = optionsFromEnv({ RNDS_CHAVES_DIR: '/tmp/c', RNDS_CA_FILE: '' }, NO_PEC);

    expect(config.options.rndsCa).toBeUndefined();
    expect(config.env.RNDS_CA_FILE).toBeUndefined();
  });

  it.each(ENV_VARIABLES.map((v) => v.name))('when %s is empty or blank, then the result is the same as without it', (name) => {
    const unset = optionsFromEnv({}, NO_PEC);

    for (const blank of ['', '  ']) {
      const config = optionsFromEnv({ [name]: blank }, NO_PEC);
      expect(config.options).toEqual(unset.options);
      expect(config.server).toEqual(unset.server);
    }
  });

  it('when variables are wrong in different ways, then one error lists every one of them, each with what to write', () => {
    const smtpPassword = 'senha-do-smtp-9';
    const error = errorOf(() =>
      optionsFromEnv(
        {
          PORT: 'oitenta',
          RNDS_SMTP_URL: `smtp://alertas:${smtpPassword}@127.0.0.1:25`, // no recipients, no sender: the module's own checks
          RNDS_CA_FILE: '/nao/existe/ca.pem', // a file that cannot be read
          RNDS_ACCESS_TOKEN: TOKEN,
          RNDS_MONITORING_TOKEN: TOKEN, // equal to the access token
          RNDS_PROXY: 'socks5://proxy:1080',
        },
        NO_PEC,
      ),
    );

    expect(error.problems.map((p) => p.variable)).toEqual(['PORT', 'RNDS_PROXY', 'RNDS_MONITORING_TOKEN', 'RNDS_CA_FILE', 'RNDS_ALERT_EMAILS', 'RNDS_SMTP_FROM']);
    expect(error.message).toMatch(/^Variáveis de ambiente inválidas \(corrija e inicie de novo\):\n/);
    expect(error.message).toContain('- PORT (está "oitenta"): deve ser um número de porta de 0 a 65535');
    expect(error.message).toContain('- RNDS_MONITORING_TOKEN: deve ser diferente de RNDS_ACCESS_TOKEN');
    expect(error.message).toMatch(/- RNDS_CA_FILE: não foi possível ler \/nao\/existe\/ca\.pem \(ENOENT\): confira o caminho/);
    expect(error.message).toContain('- RNDS_ALERT_EMAILS: informe os destinatários');
    expect(error.message).not.toContain(smtpPassword);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toMatch(/Invalid|expected|Too (small|big)/);
  });

  it('when RNDS_CA_FILE holds no certificate, then the variable is named with what the file must hold', () => {
    const dir = tempDir('pec-rnds-env-');
    try {
      const file = path.join(dir, 'ca.pem');
      fs.writeFileSync(file, 'não é um certificado\n');

      const error = errorOf(() => optionsFromEnv({ RNDS_CA_FILE: file }, NO_PEC));

      expect(error.problems).toEqual([{ variable: 'RNDS_CA_FILE', line: expect.stringContaining('não contém nenhum certificado PEM') }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the environment is valid, then its options are accepted by the module once the server adds the access token', () => {
    const config = optionsFromEnv(
      { RNDS_CHAVES_DIR: 'chaves', RNDS_DATA_DIR: 'dados', RNDS_BASE_PATH: 'rnds/', RNDS_UF: 'ac', RNDS_SMTP_URL: 'smtp://ti@prefeitura.test@127.0.0.1:25', RNDS_ALERT_EMAILS: 'a@b.test; c@d.test' },
      NO_PEC,
    );

    const resolved = parseOptions({ ...config.options, accessToken: config.options.accessToken ?? TOKEN });

    expect(resolved).toMatchObject({ chavesDir: path.resolve('chaves'), dataDir: path.resolve('dados'), uf: 'ac', alerts: { emails: ['a@b.test', 'c@d.test'] } });
    expect(config.server).toEqual({ port: 8787, host: '127.0.0.1', basePath: '/rnds', requestTimeoutMs: 30_000, maxConnections: 200 });
    expect(config.timeZone).toBe('America/Rio_Branco');
    expect(config.timeZoneSource).toBe('RNDS_UF=AC');
    expect(resolved.allowedHosts).toEqual(['127.0.0.1']);
  });
});

describe('timeZoneFromEnv', () => {
  it('when RNDS_TIME_ZONE and RNDS_UF are both wrong, then both are named at once', () => {
    const error = errorOf(() => timeZoneFromEnv({ RNDS_TIME_ZONE: 'UTC-2', RNDS_UF: 'Minas', PORT: 'irrelevante' }));

    expect(error.problems.map((p) => p.variable)).toEqual(['RNDS_TIME_ZONE', 'RNDS_UF']);
  });
});

describe('ENV_VARIABLES', () => {
  it('when the documentation is read, then every variable has its meaning and default, and the configuration table names it', () => {
    const docs = [path.join(ROOT, 'README.md'), ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join(ROOT, 'docs', f))]
      .map((file) => fs.readFileSync(file, 'utf8'))
      .join('\n');

    for (const variable of ENV_VARIABLES) {
      expect(variable.meaning.length, variable.name).toBeGreaterThan(5);
      expect(variable.default.length, variable.name).toBeGreaterThan(0);
      expect(variable.expected, variable.name).toMatch(/^(deve|a contra-chave)/);
      expect(docs, variable.name).toContain(`\`${variable.name}\``);
    }
  });
});
