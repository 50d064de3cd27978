/**
 * Dates and days left, with injected instants (never the wall clock): the local date follows the installation's time
 * zone, and days left are calendar days of that zone.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIME_ZONE,
  UF_TIME_ZONES,
  canonicalTimeZone,
  daysLeft,
  daysLeftText,
  expiryText,
  formatDate,
  formatDateTime,
  resolveTimeZone,
} from '../../../module/present/index.js';
import { UFS } from '../../../module/rnds/environments.js';
import { openPkcs12 } from '../../../module/certificates/index.js';
import { createTestCertificate } from '../../../scripts/lib/test-certificate.js';

const zoneOf = (uf: string) => resolveTimeZone({ uf });

describe('the time zone of an installation', () => {
  it('when every UF is looked up, then each has a zone Intl knows', () => {
    expect(Object.keys(UF_TIME_ZONES).sort()).toEqual([...UFS].sort());
    for (const zone of Object.values(UF_TIME_ZONES)) expect(canonicalTimeZone(zone)).toBe(zone);
  });

  it.each([
    ['AC', 'America/Rio_Branco'],
    ['AM', 'America/Manaus'],
    ['RO', 'America/Porto_Velho'],
    ['RR', 'America/Boa_Vista'],
    ['MT', 'America/Cuiaba'],
    ['MS', 'America/Campo_Grande'],
    ['SP', 'America/Sao_Paulo'],
    ['PA', 'America/Belem'],
    ['BA', 'America/Bahia'],
    ['pe', 'America/Recife'],
  ])('when the UF is %s, then the zone is %s', (uf, zone) => {
    expect(resolveTimeZone({ uf })).toBe(zone);
  });

  it('when an explicit zone is set, then it wins over the UF; without either, Brasília time', () => {
    expect(resolveTimeZone({ uf: 'PE', timeZone: 'America/Noronha' })).toBe('America/Noronha');
    expect(resolveTimeZone({ timeZone: 'america/manaus' })).toBe('America/Manaus');
    expect(resolveTimeZone({})).toBe(DEFAULT_TIME_ZONE);
    expect(DEFAULT_TIME_ZONE).toBe('America/Sao_Paulo');
  });

  it.each([['Brasil/Acre-ish'], ['-03:00'], ['+03:00'], ['America/Nowhere'], ['']])('when the explicit zone is %j, then it is refused with what to write', (timeZone) => {
    expect(canonicalTimeZone(timeZone)).toBeNull();
    if (timeZone !== '') expect(() => resolveTimeZone({ timeZone })).toThrow(/Fuso horário inválido.*America\/Noronha/);
  });
});

describe('dates shown to people (dd/mm/aaaa hh:mm)', () => {
  // 02:30 UTC is still the previous evening everywhere in Brazil but Fernando de Noronha (UTC−2).
  const AT_0230 = new Date('2027-03-10T02:30:00Z');
  // 04:30 UTC separates Acre (UTC−5: 23:30 the day before) from the UTC−4 states (00:30 the same day).
  const AT_0430 = new Date('2027-03-10T04:30:00Z');

  it.each([
    ['AC', '09/03/2027 21:30', '09/03/2027 23:30'],
    ['AM', '09/03/2027 22:30', '10/03/2027 00:30'],
    ['RO', '09/03/2027 22:30', '10/03/2027 00:30'],
    ['RR', '09/03/2027 22:30', '10/03/2027 00:30'],
    ['MT', '09/03/2027 22:30', '10/03/2027 00:30'],
    ['MS', '09/03/2027 22:30', '10/03/2027 00:30'],
    ['SP', '09/03/2027 23:30', '10/03/2027 01:30'],
    ['PE', '09/03/2027 23:30', '10/03/2027 01:30'],
  ])('when the UF is %s, then a certificate ending at 02:30 UTC shows %s (and one at 04:30 UTC %s)', (uf, at0230, at0430) => {
    expect(formatDateTime(AT_0230, zoneOf(uf))).toBe(at0230);
    expect(formatDate(AT_0230, zoneOf(uf))).toBe(at0230.slice(0, 10));
    expect(formatDateTime(AT_0430, zoneOf(uf))).toBe(at0430);
  });

  it('when the installation is on Fernando de Noronha (explicit zone), then 02:30 UTC is already the next day', () => {
    expect(formatDateTime(AT_0230, resolveTimeZone({ uf: 'PE', timeZone: 'America/Noronha' }))).toBe('10/03/2027 00:30');
  });

  it('when the value is an ISO text, then it is read as the same instant; midnight shows as 00:00, never 24:00', () => {
    expect(formatDateTime('2027-03-10T03:00:00.000Z', 'America/Sao_Paulo')).toBe('10/03/2027 00:00');
    expect(formatDate('2049-12-31T23:59:59Z', 'America/Sao_Paulo')).toBe('31/12/2049');
  });
});

describe('days left: calendar days in the installation zone', () => {
  describe('in São Paulo, a certificate that ends at 23:59 on 10/03', () => {
    const NOT_AFTER = new Date('2027-03-11T02:59:00Z');
    const SP = 'America/Sao_Paulo';

    it.each([
      ['09/03 23:59', '2027-03-10T02:59:00Z', 1, 'vence amanhã'],
      ['10/03 00:00', '2027-03-10T03:00:00Z', 0, 'vence hoje'],
      ['10/03 23:58', '2027-03-11T02:58:00Z', 0, 'vence hoje'],
      ['10/03 23:59:30 (after the end)', '2027-03-11T02:59:30Z', 0, 'venceu hoje'],
      ['11/03 00:00', '2027-03-11T03:00:00Z', -1, 'venceu ontem'],
      ['13/03 12:00', '2027-03-13T15:00:00Z', -3, 'venceu há 3 dias'],
      ['28/02 00:30', '2027-02-28T03:30:00Z', 10, 'faltam 10 dias'],
    ])('when it is %s local time, then %i days are left: "%s"', (_local, now, days, text) => {
      expect(daysLeft(NOT_AFTER, new Date(now), SP)).toBe(days);
      expect(expiryText(NOT_AFTER, new Date(now), SP)).toBe(text);
    });
  });

  describe('in Rio Branco, a certificate that ends at 23:59 on 10/03', () => {
    const NOT_AFTER = new Date('2027-03-11T04:59:00Z');
    const AC = 'America/Rio_Branco';

    it.each([
      ['09/03 23:59', '2027-03-10T04:59:00Z', 'vence amanhã'],
      ['10/03 00:00', '2027-03-10T05:00:00Z', 'vence hoje'],
      ['11/03 00:00', '2027-03-11T05:00:00Z', 'venceu ontem'],
    ])('when it is %s local time, then the screen says "%s"', (_local, now, text) => {
      expect(expiryText(NOT_AFTER, new Date(now), AC)).toBe(text);
    });

    it('when the same instants are read in São Paulo time, then the answer differs (the zone matters)', () => {
      // 10/03 02:00 in São Paulo; the end is 11/03 01:59 there.
      expect(expiryText(NOT_AFTER, new Date('2027-03-10T05:00:00Z'), 'America/Sao_Paulo')).toBe('vence amanhã');
    });
  });

  it('when 46 hours are left but the end is tomorrow on the calendar, then it is "vence amanhã" (no 24-hour blocks, no rounding)', () => {
    expect(expiryText(new Date('2027-03-12T02:00:00Z'), new Date('2027-03-10T04:00:00Z'), 'America/Sao_Paulo')).toBe('vence amanhã');
    // Two hours left, but after local midnight: tomorrow.
    expect(expiryText(new Date('2027-03-11T04:00:00Z'), new Date('2027-03-11T02:00:00Z'), 'America/Sao_Paulo')).toBe('vence amanhã');
  });

  it('when the number alone is worded, then each wording is the one the screen, the CLI and the alerts use', () => {
    expect([2, 1, 0, -1, -2].map((d) => daysLeftText(d))).toEqual(['faltam 2 dias', 'vence amanhã', 'vence hoje', 'venceu ontem', 'venceu há 2 dias']);
    expect(daysLeftText(0, true)).toBe('venceu hoje');
  });
});

describe('the test-certificate generator agrees with the screen', () => {
  // Instants chosen around local midnight, where rounding or 24-hour blocks would be off by one.
  const CASES: Array<[number, string, string]> = [
    [2, '2027-03-10T02:59:59.900Z', 'America/Sao_Paulo'],
    [7, '2027-03-10T03:00:00.400Z', 'America/Sao_Paulo'],
    [30, '2027-03-10T04:59:59.999Z', 'America/Rio_Branco'],
    [400, '2027-03-10T12:00:00.000Z', 'America/Manaus'],
  ];

  it.each(CASES)('when the generator makes a --days %i file at %s, then the screen function says "faltam N dias" in %s', (days, now, timeZone) => {
    const made = createTestCertificate({ now: new Date(now), days, password: 'Teste@123', iterations: 2048 });

    const opened = openPkcs12(made.pfx, 'Teste@123', { now: new Date(now), timeZone });

    expect(daysLeftText(opened.daysLeft)).toBe(`faltam ${days} dias`);
    expect(expiryText(opened.notAfter, new Date(now), timeZone)).toBe(`faltam ${days} dias`);
  });
});
