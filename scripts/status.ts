/**
 * `npm run status [-- --json]`: is RNDS enabled on this installation, and if not, why? Reads the same environment
 * variables as `npm start`, works while the server is down, and exits like a monitoring plugin:
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
import { parseArgs } from 'node:util';
import { collectStatusReport } from './lib/status-check.js';
import { renderHuman, renderJson } from './lib/status-render.js';
import { EXIT, argsErrorText, errorText } from './lib/cli.js';

const USAGE = `Uso: npm run status -- [opções]

Mostra se a RNDS está habilitada nesta instalação e, se não, por quê. Lê as mesmas variáveis de
ambiente do npm start (RNDS_DATA_DIR, RNDS_CHAVES_DIR, PORT, HOST, RNDS_BASE_PATH…) e funciona com
o servidor parado: então lê ela mesma os envios informados pelo PEC (sends.sqlite), sem escrever nada.

Opções:
  --json               imprime o Status em JSON (com "server", "version" e "check")
  --timeout <seg>      espera pela resposta do servidor (padrão 3)
  --url <endereço>     endereço do /health a consultar (módulo embutido ou atrás de um proxy)
  --no-server-check    não consulta o servidor
  -v, --verbose        mostra as etapas do último teste de conexão (nome, TCP, proxy, TLS,
                       certificado, token), com o tempo de cada uma
  -h, --help           esta ajuda

Códigos de saída (convenção Nagios/Zabbix/Icinga): 0 OK, 1 WARNING (certificado vencendo,
servidor sem resposta, última conexão falhou), 2 CRITICAL (desabilitado, degradado, expirado),
3 UNKNOWN (não foi possível ler a configuração).
`;

async function main(): Promise<number> {
  let values: { json?: boolean; timeout?: string; url?: string; 'no-server-check'?: boolean; verbose?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean' },
        timeout: { type: 'string' },
        url: { type: 'string' },
        'no-server-check': { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${argsErrorText(error)}\n\n${USAGE}`);
    return EXIT.UNKNOWN;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  const timeoutSeconds = values.timeout === undefined ? 3 : Number(values.timeout.replace(',', '.'));
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 60) {
    process.stderr.write('--timeout deve ser um número de segundos entre 0 e 60 (por exemplo --timeout 5).\n');
    return EXIT.UNKNOWN;
  }
  if (values.url !== undefined && !/^https?:\/\/[^\s/]+/.test(values.url)) {
    process.stderr.write('--url deve ser um endereço http:// ou https:// do /health (por exemplo https://pec.municipio.gov.br/rnds/health).\n');
    return EXIT.UNKNOWN;
  }
  const report = await collectStatusReport({
    timeoutMs: Math.round(timeoutSeconds * 1000),
    serverCheck: !values['no-server-check'],
    healthUrl: values.url,
  });
  if (report.error) process.stderr.write(`pec-rnds status: não foi possível saber o estado (${report.error.code}).\n`);
  process.stdout.write(values.json ? renderJson(report) : renderHuman(report, { verbose: values.verbose }));
  return report.exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Anything unforeseen is still a monitoring answer: UNKNOWN, with the reason on stderr.
    process.stdout.write(`RNDS UNKNOWN - erro inesperado ao verificar: ${errorText(error).split('\n')[0]}\n`);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.UNKNOWN;
  },
);
