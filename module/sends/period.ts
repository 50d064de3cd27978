/** A period of whole days (`de`/`ate`, aaaa-mm-dd, both inclusive) in the installation's time zone, as instants. */
import { z } from 'zod';
import { TAB_MODELS, type TabModel } from '../enums.js';
import { RndsError } from '../errors.js';

export interface Period {
  de: string;
  ate: string;
}

/** [from, to) in ms since the epoch. */
export interface Range {
  from: number;
  to: number;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_MESSAGE = 'Use a data no formato aaaa-mm-dd, por exemplo 2026-12-03.';

const day = z.string({ error: DATE_MESSAGE }).refine((v) => validDay(v), DATE_MESSAGE);

function validDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** The offset of `timeZone` at `instant`, in ms (America/Sao_Paulo → -3 h). */
function offsetAt(instant: number, timeZone: string): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date(instant)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000) : 0;
}

/** The first instant of a calendar day in `timeZone`. */
export function startOfDay(text: string, timeZone: string): number {
  const m = DAY.exec(text)!;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  let guess = utc - offsetAt(utc, timeZone);
  guess = utc - offsetAt(guess, timeZone); // once more: the offset may change that day (daylight saving time)
  return guess;
}

export function rangeOf(period: Period, timeZone: string): Range {
  const next = new Date(Date.parse(`${period.ate}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return { from: startOfDay(period.de, timeZone), to: startOfDay(next, timeZone) };
}

const periodSchema = z.object({ de: day, ate: day }).check((ctx) => {
  if (validDay(ctx.value.de) && validDay(ctx.value.ate) && ctx.value.ate < ctx.value.de) {
    ctx.issues.push({ code: 'custom', input: ctx.value, path: ['ate'], message: 'A data final (ate) deve ser igual ou posterior à inicial (de).' });
  }
});

const modelsSchema = z
  .string({ error: 'Informe os modelos, por exemplo modelos=RIA,RAC,RPM.' })
  .transform((v) => v.split(',').map((m) => m.trim()).filter(Boolean))
  .pipe(z.array(z.enum(TAB_MODELS, { error: 'Use os modelos RIA, RAC e RPM, separados por vírgula.' })).min(1, 'Informe ao menos um modelo: RIA, RAC ou RPM.'));

function invalid(error: z.ZodError): RndsError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) fields[String(issue.path[0] ?? 'query')] ??= issue.message;
  return new RndsError('INVALID_INPUT', 'O período ou os modelos estão inválidos: corrija-os e tente de novo.', { fields });
}

/** A period from a query (`de`, `ate`), checked: INVALID_INPUT names each bad one. */
export function parsePeriod(query: unknown): Period {
  const result = periodSchema.safeParse(query);
  if (!result.success) throw invalid(result.error);
  return { de: result.data.de, ate: result.data.ate };
}

/** A period and the tab models (`modelos=RIA,RAC,RPM`) from a query. */
export function parseErrorQuery(query: unknown): Period & { models: TabModel[] } {
  const result = periodSchema.and(z.object({ modelos: modelsSchema })).safeParse(query);
  if (!result.success) throw invalid(result.error);
  return { de: result.data.de, ate: result.data.ate, models: [...new Set(result.data.modelos)] };
}
