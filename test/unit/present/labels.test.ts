import { describe, expect, it } from 'vitest';
import { environmentLabel, formatBytes, formatCnpj, formatCpf, servicesInSentence, servicesLabel, STATE_LABEL } from '../../../module/present/index.js';

describe('CNPJ and CPF as people read them', () => {
  it.each([
    ['12345678000190', '12.345.678/0001-90'],
    ['11222333000181', '11.222.333/0001-81'],
    // The alphanumeric CNPJ (from July 2026): letters in the first 12 characters, digits in the last 2.
    ['12ABC34501DE35', '12.ABC.345/01DE-35'],
    ['A1B2C3D4E5F601', 'A1.B2C.3D4/E5F6-01'],
  ])('when the CNPJ is %s, then it is shown as %s', (cnpj, shown) => {
    expect(formatCnpj(cnpj)).toBe(shown);
  });

  it.each([['1234567800019'], ['12ABC34501DE3X'], ['12abc34501de35'], ['12.345.678/0001-90']])(
    'when the value %s is not a 14-character CNPJ, then it is shown unchanged',
    (value) => {
      expect(formatCnpj(value)).toBe(value);
    },
  );

  it('when there is no CNPJ or CPF, then nothing is shown', () => {
    expect(formatCnpj(null)).toBe('');
    expect(formatCnpj(undefined)).toBe('');
    expect(formatCpf(null)).toBe('');
  });

  it('when a CPF has 11 digits, then it gets its dots and dash; anything else is unchanged', () => {
    expect(formatCpf('12345678909')).toBe('123.456.789-09');
    expect(formatCpf('1234567890')).toBe('1234567890');
  });
});

describe('labels', () => {
  it('when states, environments and services are shown, then they read as pt-BR', () => {
    expect([STATE_LABEL.enabled, STATE_LABEL.disabled, STATE_LABEL.degraded]).toEqual(['habilitado', 'desabilitado', 'degradado']);
    expect([environmentLabel('producao'), environmentLabel('homologacao'), environmentLabel('outro')]).toEqual(['Produção', 'Homologação', 'outro']);
    expect(servicesLabel(['RNDS', 'CADSUS'])).toBe('RNDS e CADSUS');
    expect(servicesLabel(['RNDS'])).toBe('RNDS');
    expect(servicesInSentence(['RNDS', 'CADSUS'])).toBe('a RNDS e o CADSUS');
    expect(servicesInSentence(['CADSUS'])).toBe('o CADSUS');
  });

  it('when sizes are shown, then they use the decimal comma and 1024-byte multiples', () => {
    expect(formatBytes(900)).toBe('900 bytes');
    expect(formatBytes(3456)).toBe('3,4 KB');
    expect(formatBytes(64 * 1024)).toBe('64 KB');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MB');
  });
});
