/** The states the crash-loop child writes: version n is fully determined by n (except the secret). */
import type { PersistedState, SecretEnvelope } from '../../../../module/state/index.js';

const BASE_TIME = Date.UTC(2026, 0, 1);

export function versionFor(current: PersistedState, n: number, secret?: SecretEnvelope): PersistedState {
  const at = new Date(BASE_TIME + n * 1000).toISOString();
  const enabled = n % 2 === 1;
  return {
    version: 1,
    contraChave: current.contraChave,
    ...(current.contraChaveOrigin === undefined ? {} : { contraChaveOrigin: current.contraChaveOrigin }),
    createdAt: current.createdAt,
    enabled: enabled
      ? {
          file: `municipio-${n}.pfx`,
          identificadorSolicitante: String(n),
          services: ['RNDS', 'CADSUS'],
          environment: 'producao',
          enabledAt: at,
          certificate: {
            subject: `CN=PREFEITURA ${n}:12345678000190`,
            commonName: `PREFEITURA ${n}:12345678000190`,
            cnpj: '12345678000190',
            razaoSocial: `PREFEITURA ${n}`,
            issuer: 'CN=AC Teste',
            serialNumber: n.toString(16),
            notBefore: '2025-01-01T00:00:00.000Z',
            notAfter: '2027-01-01T00:00:00.000Z',
            daysLeft: 365,
            sha256: 'ab'.repeat(32),
          },
          secret: secret!,
        }
      : null,
    connection: {
      status: enabled ? 'ok' : 'no-connection',
      message: enabled ? 'Conexão bem-sucedida' : 'Sem conexão',
      detail: `ciclo ${n}`,
      checkedAt: at,
      environment: 'producao',
    },
  };
}

/** n of a state written by `versionFor`, 0 for the freshly created state. */
export function counterOf(state: PersistedState): number {
  if (!state.connection) return 0;
  const match = /^ciclo (\d+)$/.exec(state.connection.detail);
  if (!match) throw new Error(`not a crash-loop version: ${state.connection.detail}`);
  return Number(match[1]);
}

export function passwordFor(n: number): string {
  return `senha-${n}-çã`;
}
