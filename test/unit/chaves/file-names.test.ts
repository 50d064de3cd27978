import { describe, expect, it } from 'vitest';
import { isPlainFileName } from '../../../module/chaves/index.js';

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
