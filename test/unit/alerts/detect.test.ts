/**
 * detectAlerts (pure): which alerts a Status calls for when the refused credential and the clock codes of the sends
 * come and go, beside the other critical problems, and with memories written before these alerts existed.
 */
import { describe, expect, it } from 'vitest';
import { detectAlerts } from '../../../module/alerts/detect.js';
import type { AlertMemory } from '../../../module/state/index.js';
import type { Problem, ProblemCode, Status } from '../../../module/types.js';

const NOW = new Date('2026-12-03T12:00:00Z');
const OPTIONS = { timeZone: 'America/Sao_Paulo', sendCodes: { credential: 'EHR-ERR881', clock: ['EHR-ERR807'] } };
const MESSAGES: Partial<Record<ProblemCode, string>> = {
  RNDS_CREDENTIAL_REFUSED: 'A RNDS recusou a credencial no envio direto de 03/12/2026 08:59 (EHR-ERR881: Identificador solicitante não autorizado). Em e-Gestor AB › Credenciais geradas…',
  CERTIFICATE_MISSING: 'O arquivo municipio.pfx foi removido da pasta chaves: copie-o de volta.',
  CERTIFICATE_EXPIRED: 'O certificado expirou em 01/12/2026.',
  CLOCK_SKEW: 'A RNDS recusou por data e hora o envio direto de 03/12/2026 08:59 (EHR-ERR807: Data do documento anterior ao permitido)…',
};
const CRITICAL = new Set<ProblemCode>(['RNDS_CREDENTIAL_REFUSED', 'CERTIFICATE_MISSING', 'CERTIFICATE_EXPIRED']);

function status(...codes: ProblemCode[]): Status {
  const problems: Problem[] = codes.map((code) => ({ code, severity: CRITICAL.has(code) ? 'critical' : 'warning', message: MESSAGES[code]! }));
  return {
    state: problems.some((p) => p.severity === 'critical') ? 'degraded' : 'enabled',
    contraChave: 'ABCD-EFGH-IJKL-MNOP',
    contraChaveOrigin: 'instalacao',
    chavesDir: { path: '/chaves', exists: true, readable: true },
    certificates: [],
    enabled: {
      file: 'municipio.pfx',
      identificadorSolicitante: '3167',
      services: ['RNDS'],
      environment: 'producao',
      enabledAt: '2026-12-01T10:00:00.000Z',
      certificate: {
        subject: 'CN=MUNICIPIO DE TESTE:11222333000181',
        commonName: 'MUNICIPIO DE TESTE:11222333000181',
        cnpj: '11222333000181',
        razaoSocial: 'MUNICIPIO DE TESTE',
        issuer: 'CN=AC Teste',
        serialNumber: '01',
        notBefore: '2026-01-01T00:00:00.000Z',
        notAfter: '2027-06-30T00:00:00.000Z',
        daysLeft: 200,
        sha256: 'a'.repeat(64),
      },
    },
    connection: null,
    problems,
  } as Status;
}

/** Runs the Statuses in order, a minute apart, and gives the kinds each one sent. */
function run(statuses: Status[], memory?: AlertMemory): { kinds: string[][]; memory: AlertMemory | undefined; last: ReturnType<typeof detectAlerts> | null } {
  const kinds: string[][] = [];
  let last: ReturnType<typeof detectAlerts> | null = null;
  statuses.forEach((s, i) => {
    last = detectAlerts(s, memory, new Date(NOW.getTime() + i * 60_000), ['webhook'], OPTIONS);
    memory = last.memory;
    kinds.push(last.events.map((e) => e.kind));
  });
  return { kinds, memory, last };
}

describe('alerts for the refused credential and the clock codes of the sends', () => {
  it('when the credential is refused, stays refused and clears, then credential-refused and credential-recovered go once each, and neither degraded nor recovered', () => {
    const { kinds } = run([status(), status('RNDS_CREDENTIAL_REFUSED'), status('RNDS_CREDENTIAL_REFUSED'), status()]);
    expect(kinds).toEqual([[], ['credential-refused'], [], ['credential-recovered']]);
  });

  it('when the refusal alert is made, then it is critical, says the fix and carries the code (never RNDS text)', () => {
    const { last } = run([status('RNDS_CREDENTIAL_REFUSED')]);
    const event = last!.events[0]!;
    expect(event).toMatchObject({ kind: 'credential-refused', severity: 'critical' });
    expect(event.text).toContain('e-Gestor AB › Credenciais geradas');
    expect(event.details).toMatchObject({ rndsCode: 'EHR-ERR881', state: 'degraded' });
  });

  it('when another critical problem comes during the refusal, then degraded is sent for it, and recovered once everything clears', () => {
    const { kinds } = run([
      status('RNDS_CREDENTIAL_REFUSED'),
      status('RNDS_CREDENTIAL_REFUSED', 'CERTIFICATE_MISSING'),
      status('CERTIFICATE_MISSING'),
      status(),
    ]);
    expect(kinds).toEqual([['credential-refused'], ['degraded'], ['credential-recovered'], ['recovered']]);
  });

  it('when the refused credential and the expiry are the only critical problems, then no degraded alert', () => {
    const { kinds } = run([status('CERTIFICATE_EXPIRED', 'RNDS_CREDENTIAL_REFUSED')]);
    expect(kinds[0]).toContain('credential-refused');
    expect(kinds[0]).not.toContain('degraded');
  });

  it('when a memory from before these alerts says degraded (missing file) and it still is, then nothing is sent again', () => {
    const old: AlertMemory = { lastState: 'degraded', connectionCheckedAt: null, connectionFailures: 0, connectionFailing: false, lastFailure: null, events: [] };
    const { kinds } = run([status('CERTIFICATE_MISSING'), status()], old);
    expect(kinds).toEqual([[], ['recovered']]);
  });

  it('when CLOCK_SKEW comes from the sends (no clock measurement), then one clock-skew alert with the problem message and the codes', () => {
    const { kinds, last } = run([status('CLOCK_SKEW'), status('CLOCK_SKEW')]);
    expect(kinds).toEqual([['clock-skew'], []]);
    const first = run([status('CLOCK_SKEW')]).last!.events[0]!;
    expect(first.text).toContain('EHR-ERR807');
    expect(first.details).toMatchObject({ clockSkewSeconds: null, rndsCode: 'EHR-ERR807' });
    expect(last!.memory.clockSkewing).toBe(true);
  });
});
