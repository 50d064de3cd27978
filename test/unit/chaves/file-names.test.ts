import { describe, expect, it } from 'vitest';
import { isPlainFileName, lookAlikeNames } from '../../../module/chaves/index.js';

describe('isPlainFileName', () => {
  it.each([
    ['municipio.pfx'],
    ['Município de São João.p12'], // NFC accents are ordinary names
    ['Munic\u0069\u0301pio.pfx'], // an NFD name is still plain; callers match it exactly
    ['cert (1).PFX'],
    ['.oculto.pfx'],
    ['a..b.pfx'],
    ['<img src=x onerror=alert(1)>.pfx'],
  ])('when the name is %j, then it is accepted', (name) => {
    expect(isPlainFileName(name)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['dot', '.'],
    ['dot-dot', '..'],
    ['a parent path', '../x.pfx'],
    ['a slash', 'sub/x.pfx'],
    ['a backslash', 'sub\\x.pfx'],
    ['an absolute POSIX path', '/etc/x.pfx'],
    ['an absolute Windows path', 'C:\\chaves\\x.pfx'],
    ['a UNC path', '\\\\servidor\\chaves\\x.pfx'],
    ['a drive-relative name', 'C:x.pfx'],
    ['an NTFS alternate stream', 'x.pfx:zone'],
    ['a NUL byte', 'x.pfx\u0000.txt'],
    ['a newline', 'x\n.pfx'],
    ['an ANSI escape', '\u001b[31mx.pfx'],
    ['a C1 control', 'x\u0085.pfx'],
    ['a bidi override', 'x\u202Egpj.pfx'],
    ['a bidi isolate', 'x\u2066.pfx'],
    ['a line separator', 'x\u2028.pfx'],
    ['a paragraph separator', 'x\u2029.pfx'],
    ['a zero-width space', 'a\u200Bb.pfx'],
    ['a soft hyphen', 'a\u00ADb.pfx'],
    ['a byte-order mark', '\uFEFFx.pfx'],
    ['a tag character', 'x\u{E0041}.pfx'],
    ['a trailing dot', 'x.pfx.'],
    ['a trailing space', 'x.pfx '],
    ['a Windows device name', 'NUL.pfx'],
    ['a Windows device name (COM1)', 'com1.p12'],
    ['a fullwidth solidus that becomes / under NFKC', '..\uFF0Fx.pfx'],
    ['a fullwidth reverse solidus', 'a\uFF3Cx.pfx'],
    ['a two-dot leader that becomes .. under NFKC', '\u2025'],
    ['a fullwidth colon', 'C\uFF1Ax.pfx'],
    ['a lone surrogate', 'x\uD800.pfx'],
    ['a name longer than 255 bytes', `${'ã'.repeat(128)}.pfx`],
  ])('when the name has %s, then it is rejected', (_what, name) => {
    expect(isPlainFileName(name)).toBe(false);
  });

  it.each([[undefined], [null], [42], [['x.pfx']], [{ toString: () => 'x.pfx' }]])(
    'when the value is not a string (%j), then it is rejected',
    (value) => {
      expect(isPlainFileName(value)).toBe(false);
    },
  );
});

describe('lookAlikeNames', () => {
  it('when two names differ only in NFC/NFD, then both are look-alikes and the others are not', () => {
    const nfc = 'a\u00e7\u00e3.pfx';
    const nfd = 'ac\u0327a\u0303.pfx';
    expect(nfc).not.toBe(nfd);

    expect(lookAlikeNames([nfc, nfd, 'outro.pfx', 'Munic\u0069\u0301pio.pfx'])).toEqual(new Set([nfc, nfd]));
    expect(lookAlikeNames([nfd, 'outro.pfx'])).toEqual(new Set());
  });
});
