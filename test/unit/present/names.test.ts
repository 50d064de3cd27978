import { describe, expect, it } from 'vitest';
import { commonNameOf, displayName, hasUnsafeChars, safeJsonText } from '../../../module/present/index.js';

describe('the one escaping rule (present/names.ts)', () => {
  const unsafe = ['\u0000', '\n', '\u001b', '\u007f', '\u0085', '\u009b', '\u00ad', '\u061c', '\u200b', '\u200e', '\u2028', '\u2029', '\u202e', '\u2066', '\ufeff', '\u{e0041}'];

  it.each(unsafe.map((c) => [c.codePointAt(0)!.toString(16), c]))('when a name holds U+%s, then displayName shows it as \\u{…} and safeJsonText as a JSON escape', (_hex, c) => {
    const name = `a${c}b.pfx`;

    expect(hasUnsafeChars(name)).toBe(true);
    expect(hasUnsafeChars(displayName(name))).toBe(false);
    expect(displayName(name)).toBe(`a\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}b.pfx`);
    const json = safeJsonText(JSON.stringify({ file: name }, null, 2));
    expect(hasUnsafeChars(json.replace(/\n/g, ''))).toBe(false);
    expect(JSON.parse(json)).toEqual({ file: name });
  });

  it('when a name is ordinary Portuguese (accents, NFD marks, spaces, emoji), then it is shown as it is', () => {
    for (const name of ['Município de São João.p12', 'Munic\u0069\u0301pio.pfx', 'cert (1) – cópia.pfx', 'ok 👍.pfx']) {
      expect(displayName(name)).toBe(name);
      expect(safeJsonText(JSON.stringify(name))).toBe(JSON.stringify(name));
    }
  });
});

describe('the escaping rule in context', () => {
  it('when a log line quotes a name with U+2028/U+2029, a C1 control and a bidi override, then it stays one line and reads in order', () => {
    const name = 'fatura\u202excod\u2028linha\u2029nova\u0085fim.pfx';

    const shown = displayName(name);

    expect(shown).toBe('fatura\\u{202E}xcod\\u{2028}linha\\u{2029}nova\\u{0085}fim.pfx');
    expect(`RNDS habilitado com ${shown}`.split(/[\n\r\u2028\u2029\u0085]/)).toHaveLength(1);
  });

  it('when a name holds separators, a C1 control, bidi overrides and isolates or a zero-width mark, then each is escaped', () => {
    const sample = 'a\u2028b\u2029c\u009bd\u202ee\u2067f\u200eg';

    expect(displayName(sample)).toBe('a\\u{2028}b\\u{2029}c\\u{009B}d\\u{202E}e\\u{2067}f\\u{200E}g');
  });

  it('when an issuer DN is shown, then its CN is taken (escaped commas kept) and a DN without CN is shown whole', () => {
    expect(commonNameOf('CN=AC SOLUTI Multipla v5, O=ICP-Brasil, C=BR')).toBe('AC SOLUTI Multipla v5');
    expect(commonNameOf('CN=PREFEITURA\\, TESTE:12345678000190, O=ICP-Brasil')).toBe('PREFEITURA, TESTE:12345678000190');
    expect(commonNameOf('O=ICP-Brasil, C=BR')).toBe('O=ICP-Brasil, C=BR');
    expect(hasUnsafeChars(commonNameOf('CN=a\u202eb'))).toBe(true);
  });
});
