import { randomBytes } from 'node:crypto';
import { CONTRA_CHAVE_PATTERN } from './schema.js';

/** A new contra-chave: 128 random bits as 8 groups of 4 lowercase hex digits. */
export function generateContraChave(): string {
  return randomBytes(16).toString('hex').match(/.{4}/g)!.join('-');
}

/** True for `xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx` (lowercase hex). */
export function isContraChave(value: unknown): value is string {
  return typeof value === 'string' && CONTRA_CHAVE_PATTERN.test(value);
}
