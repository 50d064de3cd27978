import { REQUIRED_MESSAGES } from '../enablement/index.js';
import type { Environment } from '../types.js';
import { FORM_FIELDS, type FormField, type FormState, type Notice } from './flash.js';

/** What each form action says when it worked (kept in the session, shown once by the next page). */
export const NOTICES = {
  habilitadoTestando: {
    type: 'success',
    text: 'Certificado aceito e habilitado. O teste de conexão com a RNDS começou: o resultado aparece em "Status da conexão" assim que chegar.',
  },
  habilitado: {
    type: 'success',
    text: 'Certificado aceito e habilitado. Use "Testar conexão" para confirmar que a RNDS aceita este certificado.',
  },
  desabilitado: { type: 'info', text: 'Certificado desabilitado. O PEC não acessa mais a RNDS.' },
  nadaHabilitado: { type: 'info', text: 'Nenhum certificado está habilitado: não há o que desabilitar.' },
  testado: { type: 'info', text: 'Teste de conexão concluído: veja o resultado em "Status da conexão".' },
  renovado: { type: 'success', text: 'Certificado renovado em uso. A RNDS aceitou o novo certificado: o PEC continua acessando a RNDS com ele.' },
  renovadoTestando: {
    type: 'success',
    text: 'Certificado renovado em uso. O teste de conexão com a RNDS começou: o resultado aparece em "Status da conexão" assim que chegar.',
  },
  renovadoSemTeste: {
    type: 'success',
    text: 'Certificado renovado em uso. Use "Testar conexão" para confirmar que a RNDS aceita o novo certificado.',
  },
  contraChave: { type: 'success', text: 'Contra-chave desta instalação salva. É ela que deve ser informada no e-Gestor AB ao solicitar a credencial.' },
} as const satisfies Record<string, Notice>;

/** The Habilitar form's body as the Enable input (docs/CONTRACT.md); form fields are text or lists of text. */
export function enableInputOf(body: Record<string, unknown>) {
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const services = Array.isArray(body.services) ? body.services.filter((s): s is string => typeof s === 'string') : typeof body.services === 'string' ? [body.services] : [];
  return {
    file: text(body.file) ?? '',
    password: text(body.password) ?? '',
    identificadorSolicitante: text(body.identificadorSolicitante) ?? '',
    services,
    environment: text(body.environment) || undefined,
  };
}

/** The Habilitar form after a refusal: what was typed (never the password) and each error by its field. */
export function refusedForm(
  input: { file?: string; identificadorSolicitante?: string; services?: string[]; environment?: string },
  error: { code: string; message: string; fields?: Record<string, string> },
  defaultEnvironment: Environment,
): FormState {
  const errors: FormState['errors'] = {};
  for (const [field, message] of Object.entries(error.fields ?? {})) {
    if ((FORM_FIELDS as readonly string[]).includes(field)) errors[field as FormField] = message;
  }
  const services = input.services ?? [];
  if (error.code === 'INVALID_INPUT' && services.length === 0 && !errors.services) errors.services = REQUIRED_MESSAGES.services;
  return {
    values: { file: input.file, identificadorSolicitante: input.identificadorSolicitante, services, environment: input.environment ?? defaultEnvironment },
    errors,
    formError: Object.keys(errors).length === 0 ? error.message : undefined,
  };
}
