/**
 * File names come from installers: they may hold control characters, terminal escape sequences or bidi overrides
 * (U+202E makes `gpj.xfp` read as `pfx.jpg`). Every name shown to a person, in HTML, a log or the CLI, goes through
 * this first; HTML escaping is still the template's job.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

export function displayName(name: string): string {
  return name.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`);
}

/** The CN of a distinguished name such as `CN=AC SOLUTI Multipla v5, O=ICP-Brasil, C=BR`; the whole text without one. */
export function commonNameOf(dn: string): string {
  const match = /(?:^|,\s*)CN=((?:\\.|[^,\\])+)/.exec(dn);
  return match ? match[1]!.replace(/\\(.)/g, '$1').trim() : dn;
}
