import { ENABLE_FIELDS, type EnableField } from '../enums.js';

/**
 * What the screen carries from a POST to the GET it redirects to (post/redirect/get), kept in the session and shown
 * once: the notice, and after a refused form what was typed (never the password) and why it was refused.
 */
export type FormField = EnableField;
export const FORM_FIELDS: readonly FormField[] = ENABLE_FIELDS;

/** The Habilitar form as the page shows it: what was typed (never the password) and why it was refused. */
export interface FormState {
  values: { file?: string; identificadorSolicitante?: string; services: string[]; environment: string };
  errors: Partial<Record<FormField, string>>;
  formError?: string;
}

/** The screen's contra-chave form after a refused post: what was typed (not secret) and why it was refused. */
export interface ContraChaveFormState {
  value: string;
  error: string;
}

export interface Notice {
  type: 'success' | 'info' | 'danger' | 'alert';
  text: string;
}

export interface Flash {
  notice?: Notice;
  form?: FormState;
  contraChaveForm?: ContraChaveFormState;
}
