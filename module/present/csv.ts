/**
 * PEC's CSV conventions, for every report the module writes: UTF-8 with a BOM (Excel in pt-BR opens the accents right),
 * `;` between fields, a field quoted only when it needs to be, CRLF line ends, and PEC's header block above the columns.
 */
import { formatDate, formatDateTime } from './dates.js';

export const CSV_BOM = '\uFEFF';
export const CSV_SEPARATOR = ';';
export const CSV_EOL = '\r\n';

/**
 * One field. A value a spreadsheet would run as a formula (starting with = + - @ or a tab/CR) gets a leading apostrophe:
 * file names and user names come from outside. Quoted when it holds the separator, a quote or a line break.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[;"\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One line: the fields joined by `;`, ended by CRLF. */
export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(CSV_SEPARATOR) + CSV_EOL;
}

export interface ReportHeader {
  /** The report's name, as PEC writes it (*Relatório de Erros da RNDS*…). */
  title: string;
  /** The filters, one line each below FILTROS (*Período: …*). */
  filters: readonly string[];
  generatedAt: Date;
  /** Who asked for it, as the audit trail names callers. */
  by: string;
  timeZone: string;
}

/**
 * PEC's header block (the BOM first): *e-SUS - Atenção Primária*, *MINISTÉRIO DA SAÚDE*, *FILTROS* and the filters,
 * the title, *Gerado em | dd/mm/aaaa | às | HH:MM | por | …*, then an empty line before the columns.
 */
export function reportHeader(header: ReportHeader): string {
  const time = formatDateTime(header.generatedAt, header.timeZone).slice(-5);
  return (
    CSV_BOM +
    csvLine(['e-SUS - Atenção Primária']) +
    csvLine(['MINISTÉRIO DA SAÚDE']) +
    csvLine(['FILTROS', ...header.filters]) +
    csvLine([header.title]) +
    csvLine(['Gerado em', formatDate(header.generatedAt, header.timeZone), 'às', time, 'por', header.by]) +
    CSV_EOL
  );
}
