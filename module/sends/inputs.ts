/** What a host may report (CONTRACT.md *Sends*): the body's schema, its pt-BR messages by field, and its limits. */
import { z } from 'zod';
import { SEND_MODELS, type SendModel } from '../enums.js';
import { RndsError } from '../errors.js';

/** The most sends one request may carry; more is 413 like a body over MAX_REPORT_BYTES. */
export const MAX_SENDS_PER_REPORT = 1000;
/** The body limit of `POST /api/envios` (the module's other bodies stay at 16 KiB). */
export const MAX_REPORT_BYTES = 1024 * 1024;

/** ISO 8601 with a date, a time and `Z` or an offset: a time without a zone would depend on the host's clock settings. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

const at = z
  .string({ error: 'Informe a data e hora do envio (ISO 8601 com fuso, por exemplo 2026-12-03T10:15:00-03:00).' })
  .refine((v) => ISO_WITH_ZONE.test(v) && Number.isFinite(Date.parse(v)), 'Use data e hora ISO 8601 com Z ou o fuso, por exemplo 2026-12-03T10:15:00-03:00.');

const sendSchema = z
  .strictObject({
    at,
    model: z.enum(SEND_MODELS, { error: 'Use um destes modelos: RIA-C, RIA-R, RAC ou RPM.' }),
    recordId: z
      .string({ error: 'Informe o id do registro no sistema que enviou (recordId), de 1 a 128 caracteres.' })
      .min(1, 'Informe o id do registro (recordId), de 1 a 128 caracteres.')
      .max(128, 'O id do registro (recordId) deve ter no máximo 128 caracteres.'),
    httpStatus: z.number({ error: 'httpStatus deve ser o código HTTP da resposta da RNDS (100 a 599).' }).int('httpStatus deve ser um número inteiro.').min(100, 'httpStatus deve estar entre 100 e 599.').max(599, 'httpStatus deve estar entre 100 e 599.').optional(),
    operationOutcome: z.unknown().optional(),
    rndsId: z.string({ error: 'rndsId deve ser um texto.' }).max(512, 'rndsId deve ter no máximo 512 caracteres.').optional(),
    failure: z.enum(['no-connection', 'certificate-failure'], { error: 'failure deve ser "no-connection" ou "certificate-failure".' }).optional(),
    detail: z.string({ error: 'detail deve ser um texto.' }).max(500, 'detail deve ter no máximo 500 caracteres.').optional(),
    delivery: z.literal('ENVIADO_CENTRALIZADOR', { error: 'delivery só aceita "ENVIADO_CENTRALIZADOR".' }).optional(),
    cnes: z.string({ error: 'cnes deve ter 7 dígitos.' }).regex(/^\d{7}$/, 'cnes deve ter 7 dígitos.').optional(),
    environment: z.string({ error: 'environment deve ser um texto.' }).max(32, 'environment deve ter no máximo 32 caracteres.').optional(),
  })
  .check((ctx) => {
    const v = ctx.value;
    const kinds = [v.httpStatus !== undefined, v.failure !== undefined, v.delivery !== undefined].filter(Boolean).length;
    if (kinds !== 1) {
      ctx.issues.push({
        code: 'custom',
        input: v,
        path: [],
        message: 'Informe exatamente um de httpStatus (a resposta da RNDS), failure (sem resposta) ou delivery (chegou pelo centralizador).',
      });
    }
    if (v.operationOutcome !== undefined && v.httpStatus === undefined) {
      ctx.issues.push({ code: 'custom', input: v, path: ['operationOutcome'], message: 'operationOutcome só acompanha httpStatus.' });
    }
  });

/** The body of `POST {base}/api/envios` (and of `recordSends` embedded). */
export const reportSchema = z.strictObject({
  envios: z.array(sendSchema, { error: 'Envie {"envios":[…]} com de 1 a 1000 envios.' }).min(1, 'Envie ao menos um envio em "envios".'),
});

export type ReportedSend = z.output<typeof sendSchema>;

/** A valid send, ready to store: its instant in milliseconds besides the text the host sent. */
export interface ParsedSend extends ReportedSend {
  model: SendModel;
  atMs: number;
}

/** pt-BR for the checks that carry no message of their own (made once: it is a function per call otherwise). */
const PT = { error: z.locales.pt().localeError };

const FIX = 'Há envios inválidos: nada foi guardado. Corrija os campos indicados e envie o lote de novo.';

/**
 * Validates a report whole: any bad send refuses all of them (INVALID_INPUT naming each field, `envios[3].model`),
 * more than MAX_SENDS_PER_REPORT is PAYLOAD_TOO_LARGE.
 */
export function parseReport(input: unknown): ParsedSend[] {
  if (typeof input === 'object' && input !== null && Array.isArray((input as { envios?: unknown }).envios) && (input as { envios: unknown[] }).envios.length > MAX_SENDS_PER_REPORT) {
    throw new RndsError('PAYLOAD_TOO_LARGE', `Lote grande demais: envie no máximo ${MAX_SENDS_PER_REPORT} envios por pedido (divida o lote).`);
  }
  const result = reportSchema.safeParse(input, PT);
  if (!result.success) {
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const issue of result.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const key of keys) fields[fieldName(key)] ??= issue.code === 'unrecognized_keys' ? 'Campo desconhecido: remova-o do envio.' : issue.message;
    }
    throw new RndsError('INVALID_INPUT', FIX, { fields: Object.fromEntries(Object.entries(fields)) });
  }
  return result.data.envios.map((send) => ({ ...send, atMs: Date.parse(send.at) }));
}

/** `['envios', 3, 'model']` → `envios[3].model`; an empty path is the body. */
function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let name = '';
  for (const part of path) name += typeof part === 'number' ? `[${part}]` : name === '' ? String(part) : `.${String(part)}`;
  return name || 'body';
}
