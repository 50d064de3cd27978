/**
 * Histórico: the page with the latest events of a period, and its CSV export. Both read the period from the query (a
 * plain GET form); a period typed wrong comes back on the page with its error by field, nothing read.
 */
import { periodFromQuery, type PeriodInput } from '../../history/index.js';
import { historyCsv, historyCsvFileName } from '../../present/history.js';
import { callerOf, page, type Handler, type PageReply } from '../handler.js';

function refused(input: Extract<PeriodInput, { ok: false }>, limit: number): PageReply {
  return page('historico', { status: 400, history: { records: null, limit, period: null, values: input.values, errors: input.errors } });
}

export const historyPage: Handler = async ({ query }, { history }) => {
  const input = periodFromQuery(query);
  if (!input.ok) return refused(input, history.limit);
  const records = await history.latest(input.period);
  return page('historico', { history: { records, limit: history.limit, period: input.period, values: input.values, errors: {} } });
};

export const historyExport: Handler = (request, { history }) => {
  const input = periodFromQuery(request.query);
  if (!input.ok) return refused(input, history.limit);
  const generatedAt = history.now();
  return {
    kind: 'download',
    type: 'text/csv; charset=utf-8',
    fileName: historyCsvFileName(generatedAt, history.timeZone),
    body: historyCsv(history.inPeriod(input.period), { period: input.period, generatedAt, by: callerOf(request).actor, timeZone: history.timeZone }),
  };
};
