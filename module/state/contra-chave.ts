import { randomBytes } from 'node:crypto';

/** The shape shown in messages, so whoever types it knows what is expected. */
export const CONTRA_CHAVE_SHAPE = 'xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx (8 grupos de 4 letras ou números)';

/** A test contra-chave: 128 random bits as 8 groups of 4 lowercase hex digits. Never the installation's. */
export function generateContraChave(): string {
  return randomBytes(16).toString('hex').match(/.{4}/g)!.join('-');
}

// Spaces (including the no-break ones a copy from a web page brings) and every dash a keyboard or a word processor makes.
const SEPARATORS = /[\s\u00a0\u2007\u202f\-\u2010-\u2015\u2212]/gu;

/**
 * The contra-chave as typed or pasted (with spaces, without dashes, in any case) in its stored form: 8 groups of 4
 * letters or digits joined by `-`, letter case kept. Null when it is not 32 ASCII letters and digits.
 */
export function normalizeContraChave(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 200) return null;
  const compact = input.replace(SEPARATORS, '');
  if (!/^[0-9A-Za-z]{32}$/.test(compact)) return null;
  return compact.match(/.{4}/g)!.join('-');
}

/** Whether two contra-chaves are the same value for e-Gestor (letter case aside). */
export function sameContraChave(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
