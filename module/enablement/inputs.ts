/** What the enablement accepts from a request: the bodies' schemas and their pt-BR messages, field by field. */
import { z } from 'zod';
import { ENABLE_FIELDS, ENVIRONMENTS, SERVICES } from '../enums.js';
import { RndsError } from '../errors.js';
import { CONTRA_CHAVE_SHAPE, normalizeContraChave } from '../state/contra-chave.js';
import type { Environment, Service } from '../types.js';

/**
 * What an empty required field is told, on the screen (before the form is sent, by app.js from the markup) and by
 * the server (the same words), so both look and read the same.
 */
export const REQUIRED_MESSAGES = {
  file: 'Escolha o certificado.',
  password: 'Digite a senha do certificado.',
  identificadorSolicitante: 'Informe o identificador solicitante (o número do ID SOLICITAÇÃO mostrado no e-Gestor AB).',
  services: 'Escolha ao menos um serviço.',
  contraChave: 'Informe a contra-chave desta instalação: 8 grupos de 4 letras ou números, como aparece no PEC.',
} as const;

/** The body of an enable request, as docs/CONTRACT.md defines it. */
export const enableInputSchema = z.strictObject({
  file: z.string({ error: REQUIRED_MESSAGES.file }).min(1, REQUIRED_MESSAGES.file).max(255, 'Nome de arquivo longo demais.'),
  password: z.string({ error: REQUIRED_MESSAGES.password }).max(1024, 'Senha longa demais.'),
  identificadorSolicitante: z.string({ error: 'O identificador solicitante deve ser um texto com números.' }).max(64).optional(),
  services: z
    .array(z.enum(SERVICES, { error: 'Serviço desconhecido: escolha RNDS e/ou CADSUS.' }), { error: REQUIRED_MESSAGES.services })
    .min(1, REQUIRED_MESSAGES.services)
    .optional(),
  environment: z.enum(ENVIRONMENTS, { error: 'Escolha o ambiente: produção ou homologação.' }).optional(),
});
export type EnableInput = z.input<typeof enableInputSchema>;

/** The body of a renew request: nothing is required; `sha256` pins the file the screen showed. */
export const renewInputSchema = z.strictObject({
  file: z.string({ error: 'Envie o nome do arquivo renovado mostrado na tela, como texto.' }).max(255, 'Nome de arquivo longo demais.').optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'Use o SHA-256 mostrado na tela (64 caracteres hexadecimais).').optional(),
  checkRnds: z.boolean({ error: 'checkRnds deve ser true ou false.' }).optional(),
});
export type RenewInput = z.input<typeof renewInputSchema>;

const FIELD_NAMES: ReadonlySet<string> = new Set(ENABLE_FIELDS);

const UNKNOWN_FIELD = 'Campo desconhecido: remova-o do pedido.';
const FIX_FIELDS = 'Alguns campos estão inválidos: corrija-os e tente novamente.';

/** Turns a zod failure into INVALID_INPUT with one pt-BR message per bad field. */
export function invalidInput(error: z.ZodError): RndsError {
  // No prototype: a key named `__proto__` becomes a field like any other instead of vanishing.
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[key] = UNKNOWN_FIELD;
      continue;
    }
    const key = String(issue.path[0] ?? 'body');
    fields[key] ??= FIELD_NAMES.has(key) ? issue.message : 'Valor inválido.';
  }
  // fromEntries defines own properties, so `__proto__` stays a field of the plain object sent back.
  return new RndsError('INVALID_INPUT', FIX_FIELDS, { fields: Object.fromEntries(Object.entries(fields)) });
}

export interface EnableRequest {
  file: string;
  password: string;
  /** Trimmed; '' when only CADSUS is enabled. */
  identificadorSolicitante: string;
  /** Without repeats; RNDS when none was chosen. */
  services: Service[];
  environment?: Environment;
}

/** The enable body, checked against the schema, with the services and the identificador solicitante normalised. */
export function parseEnableInput(input: unknown): EnableRequest {
  const parsed = enableInputSchema.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  const body = parsed.data;
  return {
    file: body.file,
    password: body.password,
    identificadorSolicitante: (body.identificadorSolicitante ?? '').trim(),
    services: [...new Set<Service>(body.services ?? ['RNDS'])],
    environment: body.environment,
  };
}

/** RNDS needs the identificador solicitante: digits only, up to 12. */
export function checkIdentificadorSolicitante({ services, identificadorSolicitante }: EnableRequest): void {
  if (services.includes('RNDS') && identificadorSolicitante === '') {
    throw new RndsError('INVALID_INPUT', 'Informe o identificador solicitante.', {
      fields: { identificadorSolicitante: REQUIRED_MESSAGES.identificadorSolicitante },
    });
  }
  if (identificadorSolicitante !== '' && !/^[0-9]{1,12}$/.test(identificadorSolicitante)) {
    throw new RndsError('INVALID_INPUT', 'O identificador solicitante deve ter só números.', {
      fields: { identificadorSolicitante: 'Use só números, até 12 dígitos (o ID SOLICITAÇÃO do e-Gestor AB, por exemplo 3167).' },
    });
  }
}

export function parseRenewInput(input: unknown): z.output<typeof renewInputSchema> {
  const parsed = renewInputSchema.safeParse(input ?? {});
  if (!parsed.success) throw invalidInput(parsed.error);
  return parsed.data;
}

/** The body of a contra-chave change: only `contraChave`; its value is checked by parseContraChaveInput. */
const contraChaveInputSchema = z.strictObject(
  { contraChave: z.unknown().optional() },
  { error: `Envie {"contraChave": "${CONTRA_CHAVE_SHAPE}"}.` },
);

/**
 * The contra-chave body, `{ contraChave }`, normalised (spaces, missing dashes and any case accepted). An empty value
 * and a wrong shape each get their own message.
 */
export function parseContraChaveInput(input: unknown): string {
  const parsed = contraChaveInputSchema.safeParse(input);
  if (!parsed.success) {
    // No prototype, as in invalidInput: a key named `__proto__` is reported like any other.
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) fields[key] = UNKNOWN_FIELD;
      else fields.contraChave = issue.message; // not an object
    }
    throw new RndsError('INVALID_INPUT', FIX_FIELDS, { fields: Object.fromEntries(Object.entries(fields)) });
  }
  const typed = parsed.data.contraChave;
  if (typeof typed === 'string' && typed.trim() === '') {
    throw new RndsError('INVALID_INPUT', REQUIRED_MESSAGES.contraChave, { fields: { contraChave: REQUIRED_MESSAGES.contraChave } });
  }
  const next = normalizeContraChave(typed);
  if (next === null) {
    throw new RndsError(
      'INVALID_INPUT',
      `A contra-chave não tem o formato esperado: ${CONTRA_CHAVE_SHAPE}. Copie-a de Gestão municipal › Certificados no PEC.`,
      { fields: { contraChave: `Use o formato ${CONTRA_CHAVE_SHAPE}, como aparece no PEC (espaços e letras maiúsculas ou minúsculas são aceitos).` } },
    );
  }
  return next;
}
