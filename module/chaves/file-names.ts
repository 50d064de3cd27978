/** File-name rules of the chaves folder: which names are listed, which may be chosen, how to show one safely. */
import { hasUnsafeChars } from '../present/index.js';

import { unusableExtensionOf } from './reasons.js';

/** `.pfx` / `.p12` in any letter case; nothing else is a candidate certificate. */
const CERTIFICATE_NAME = /\.(pfx|p12)$/i;

/**
 * Whether `name` (a bare directory entry) is listed by the catalogue: `.pfx`/`.p12`, and the certificate-related
 * files that cannot be enabled (`.cer`, `.pem`, `.zip`…), listed as `unusable` so the installer learns why.
 */
export function isCertificateFileName(name: string): boolean {
  return CERTIFICATE_NAME.test(name) || unusableExtensionOf(name) !== null;
}

// Windows maps these to devices in any folder, with any extension.
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(\..*)?$/i;

function hasUnsafeShape(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return true;
  if (name.includes('/') || name.includes('\\')) return true; // separators, absolute and UNC paths
  // `C:x.pfx` is drive-relative and `x.pfx:stream` an NTFS alternate stream on Windows.
  if (name.includes(':')) return true;
  // Controls, line separators and bidi/invisible format characters (present/names.ts, the one rule): newlines and ANSI
  // escapes forge log lines, bidi overrides reorder what a person reads (`xfp.exe` shown as `exe.pfx`).
  if (hasUnsafeChars(name)) return true;
  // Windows drops trailing dots and spaces, so `x.pfx.` would open `x.pfx`.
  if (/[. ]$/.test(name)) return true;
  return WINDOWS_DEVICE.test(name);
}

/**
 * Whether `name` is a plain file name that may be looked up in the chaves folder: no separators, `..`, NUL,
 * control, line-separator, bidi or invisible characters, absolute/UNC paths, drive letters, Windows device names, and no name that
 * turns into one of those after Unicode normalisation (e.g. U+FF0F FULLWIDTH SOLIDUS → `/`, U+2025 → `..`).
 * Callers still match the name exactly (code point for code point) against a listed entry.
 */
export function isPlainFileName(name: unknown): name is string {
  if (typeof name !== 'string') return false;
  if (Buffer.byteLength(name, 'utf8') > 255) return false;
  // Lone surrogates cannot name a file on disk; UTF-8 round-tripping replaces them.
  if (Buffer.from(name, 'utf8').toString('utf8') !== name) return false;
  for (const form of ['NFC', 'NFD', 'NFKC', 'NFKD'] as const) {
    if (hasUnsafeShape(name.normalize(form))) return false;
  }
  return !hasUnsafeShape(name);
}


/**
 * The names among `names` that look exactly like another one: the same text once normalised to NFC (`açã.pfx` typed
 * on the server and the same name copied from a Mac, stored decomposed as NFD). A person cannot tell them apart on
 * the screen, in a log or in the CLI, so none of them may be chosen until one is renamed.
 */
export function lookAlikeNames(names: Iterable<string>): Set<string> {
  const byForm = new Map<string, string[]>();
  for (const name of names) {
    const form = name.normalize('NFC');
    const group = byForm.get(form);
    if (group) group.push(name);
    else byForm.set(form, [name]);
  }
  const twins = new Set<string>();
  for (const group of byForm.values()) if (group.length > 1) for (const name of group) twins.add(name);
  return twins;
}
