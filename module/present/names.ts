/**
 * File names come from installers and actors from hosts and proxies: they may hold control characters, terminal escape
 * sequences, line separators or bidi overrides (U+202E makes `gpj.xfp` read as `pfx.jpg`; U+2028 starts a new line in
 * many log viewers). This file is THE one rule for them (there is no other control/bidi pattern in the code): every name or actor shown to a person — HTML, a log line,
 * the CLI, audit.jsonl — goes through it (the browser script only swaps what the server rendered), and
 * the chaves folder refuses to choose a name that holds any of these characters. HTML escaping is still the
 * template's job.
 */

/**
 * Controls (Cc: C0, DEL, C1), format characters (Cf: bidi marks, embeddings, overrides and isolates, zero-width
 * characters, soft hyphen, BOM, invisible operators, tags) and the line and paragraph separators (Zl, Zp).
 */
const UNSAFE_CHARS_SOURCE = '[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]';

const UNSAFE = new RegExp(UNSAFE_CHARS_SOURCE, 'gu');
const HAS_UNSAFE = new RegExp(UNSAFE_CHARS_SOURCE, 'u');

/** Whether `text` holds a character that `displayName` would make visible. */
export function hasUnsafeChars(text: string): boolean {
  return HAS_UNSAFE.test(text);
}

/** `text` with each unsafe character shown as `\u{XXXX}` (the name stays readable, nothing is hidden or reordered). */
export function displayName(name: string): string {
  return name.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`);
}

/**
 * JSON text (from JSON.stringify) with the same characters written as `\uXXXX` escapes: it parses to the very same
 * value, but holds no raw line separator, terminal control or bidi character — one record stays one line for every
 * reader (`jq`, Python's splitlines, a terminal).
 */
export function safeJsonText(json: string): string {
  return json.replace(UNSAFE, (c) => {
    // Raw tabs and newlines in JSON text are indentation (JSON.stringify escapes every C0 control inside strings).
    if (c === '\n' || c === '\t' || c === '\r') return c;
    let out = '';
    for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}

/** The CN of a distinguished name such as `CN=AC SOLUTI Multipla v5, O=ICP-Brasil, C=BR`; the whole text without one. */
export function commonNameOf(dn: string): string {
  const match = /(?:^|,\s*)CN=((?:\\.|[^,\\])+)/.exec(dn);
  return match ? match[1]!.replace(/\\(.)/g, '$1').trim() : dn;
}
