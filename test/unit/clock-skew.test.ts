/**
 * CLOCK_SKEW's rules without a network: the `Date` header read, the 60-second limit either way, the message, and the
 * alert sent once per episode (the memory read back from an older state file included).
 */
import { describe, expect, it } from 'vitest';
import { clockReadingOf } from '../../module/rnds/token-client.js';
import { CLOCK_SKEW_LIMIT_SECONDS, statusFromState, type StatusSources } from '../../module/enablement/status.js';
import { detectAlerts } from '../../module/alerts/detect.js';
import type { AlertMemory } from '../../module/state/index.js';

const NOW = new Date('2026-12-03T13:00:00.000Z');
const TZ = 'America/Sao_Paulo';

function sources(clock: { skewSeconds: number; measuredAt: string } | null | undefined, enabled = true): StatusSources {
  return {
    state: {
      contraChave: '0123-4567-89ab-cdef-0123-4567-89ab-cdef',
      contraChaveOrigin: 'instalacao',
      contraChaveChanged: null,
      enabled: enabled
        ? {
            file: 'municipio.pfx',
            identificadorSolicitante: '3167',
            services: ['RNDS'],
            environment: 'producao',
            enabledAt: '2026-11-01T10:00:00.000Z',
            certificate: {
              subject: 'CN=MUNICIPIO:12345678000190',
              commonName: 'MUNICIPIO:12345678000190',
              cnpj: '12345678000190',
              razaoSocial: 'MUNICIPIO',
              issuer: 'CN=AC',
              serialNumber: '01',
              notBefore: '2026-01-01T00:00:00.000Z',
              notAfter: '2027-06-30T00:00:00.000Z',
              daysLeft: 0,
              sha256: 'a'.repeat(64),
            },
            secret: { v: 1, alg: 'A256GCM', iv: 'AAAA', tag: 'AAAA', data: 'AAAA' },
          }
        : null,
      connection: null,
      ...(clock === undefined ? {} : { clock }),
    },
    chavesDir: { path: '/opt/e-SUS/webserver/chaves', exists: true, readable: true },
    certificates: [{ file: 'municipio.pfx', size: 3456, modifiedAt: '2026-11-01T10:00:00.000Z', sha256: 'a'.repeat(64), status: 'ready' }],
    secretProblem: null,
    now: NOW,
    timeZone: TZ,
  };
}

const measured = (skewSeconds: number) => ({ skewSeconds, measuredAt: '2026-12-03T12:59:00.000Z' });
const codes = (s: StatusSources) => statusFromState(s).problems.map((p) => p.code);

describe('the Date header', () => {
  it('when RNDS says 12:05:00 and our clock says 12:00:00.5, then ours is 300 s behind (negative)', () => {
    const reading = clockReadingOf('Thu, 03 Dec 2026 12:05:00 GMT', new Date('2026-12-03T12:00:00.500Z'));
    expect(reading).toEqual({ skewSeconds: -300, measuredAt: new Date('2026-12-03T12:00:00.500Z') });
  });

  it('when the clocks agree, then the header truncated to the second still reads 0', () => {
    for (const ms of [0, 400, 999]) {
      expect(clockReadingOf('Thu, 03 Dec 2026 12:00:00 GMT', new Date(Date.parse('2026-12-03T12:00:00Z') + ms))?.skewSeconds).toBe(0);
    }
  });

  it.each([undefined, '', 'ontem', 'Thu, 99 Foo 2026'])('when the header is %j, then there is no reading', (header) => {
    expect(clockReadingOf(header, NOW)).toBeNull();
  });
});

describe('the Status', () => {
  it(`when the difference is ${CLOCK_SKEW_LIMIT_SECONDS} s or less either way, then no CLOCK_SKEW; above it, a warning that keeps the state enabled`, () => {
    for (const skew of [0, 60, -60, 1]) expect(codes(sources(measured(skew)))).not.toContain('CLOCK_SKEW');
    for (const skew of [61, -61, 86_400]) {
      const status = statusFromState(sources(measured(skew)));
      expect(status.problems).toContainEqual(expect.objectContaining({ code: 'CLOCK_SKEW', severity: 'warning' }));
      expect(status.state).toBe('enabled');
      expect(status.clock).toEqual(measured(skew));
    }
  });

  it('when the message is read, then it gives the difference, which way, when (local time), and the fix', () => {
    const ahead = statusFromState(sources(measured(185))).problems.find((p) => p.code === 'CLOCK_SKEW')!.message;
    expect(ahead).toContain('3 min 5 s adiantado');
    expect(ahead).toContain('03/12/2026 09:59'); // 12:59 UTC in São Paulo
    expect(ahead).toContain('timedatectl set-ntp true');
    expect(ahead).toContain('w32tm /resync');
    expect(ahead).toContain('fuso horário do servidor (America/Sao_Paulo');
    expect(statusFromState(sources(measured(-7200))).problems.find((p) => p.code === 'CLOCK_SKEW')!.message).toContain('2 h atrasado');
    expect(statusFromState(sources(measured(-90_000))).problems.find((p) => p.code === 'CLOCK_SKEW')!.message).toContain('1 dia e 1 h atrasado');
  });

  it('when nothing is enabled or nothing was measured (an older state file), then no clock and no CLOCK_SKEW', () => {
    expect(statusFromState(sources(measured(600), false))).not.toHaveProperty('clock');
    expect(codes(sources(measured(600), false))).not.toContain('CLOCK_SKEW');
    expect(statusFromState(sources(undefined))).not.toHaveProperty('clock');
    expect(statusFromState(sources(null))).not.toHaveProperty('clock');
  });
});

describe('the alert', () => {
  // Each check a minute after the previous one, as the module runs them.
  let minute = 0;
  const detect = (skew: number | null, memory: AlertMemory | undefined) =>
    detectAlerts(statusFromState(sources(skew === null ? null : measured(skew))), memory, new Date(NOW.getTime() + ++minute * 60_000), ['email', 'webhook'], { timeZone: TZ });

  it('when the clock parts, then one warning alert per episode, by e-mail and webhook; after the clocks agree, the next episode alerts again', () => {
    const first = detect(300, undefined);
    expect(first.events.map((e) => [e.kind, e.severity, e.deliveries])).toEqual([['clock-skew', 'warning', { email: 'pending', webhook: 'pending' }]]);
    expect(first.events[0]!.text).toContain('w32tm /resync');
    expect(first.events[0]!.details.clockSkewSeconds).toBe(300);
    expect(detect(320, first.memory).events).toEqual([]);
    const agreed = detect(2, first.memory);
    expect(agreed.events).toEqual([]);
    expect(detect(-400, agreed.memory).events.map((e) => e.kind)).toEqual(['clock-skew']);
  });

  it('when the memory comes from a state file written before the clock alert, then it still works', () => {
    const old = detect(null, undefined).memory;
    delete (old as Partial<AlertMemory>).clockSkewing;
    expect(detect(300, old).events.map((e) => e.kind)).toEqual(['clock-skew']);
  });
});
