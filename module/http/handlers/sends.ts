/** Sends reported by the host (CONTRACT.md *Sends*): the report, the summary and the error list. */
import { parseErrorQuery, parsePeriod, type SendError } from '../../sends/index.js';
import { sendsReportCsv, sendsReportFileName } from '../../present/sends-report.js';
import { callerOf, json, type Handler } from '../handler.js';

/** `POST /api/envios`: the host (reporting token, access token or an admin) reports a batch. */
export const reportSends: Handler = async (request, context) => json(await context.sends.record(request.body));

/** `GET /api/envios`: the summary, for the whole history or the records whose latest send is in `de`..`ate`. */
export const sendsSummary: Handler = async (request, context) => {
  const { de, ate } = request.query;
  const period = de === undefined && ate === undefined ? undefined : parsePeriod({ de, ate });
  return json(await context.sends.summary(period));
};

/** `GET /api/envios/erros`: the records not sent in the period, newest first (admins only: it holds record ids). */
export const sendErrors: Handler = async (request, context) => {
  const query = parseErrorQuery(request.query);
  const erros: SendError[] = [];
  for await (const error of context.sends.errors(query)) erros.push(error);
  return json({ erros });
};

/**
 * `GET /api/envios/relatorio-erros.csv`: the same records as CSV in PEC's layout, streamed as they are read (admins
 * only); `mascarar=1` hides all but the last 4 digits of each number in the record id and RNDS's text.
 */
export const sendErrorsReport: Handler = async (request, context) => {
  const query = parseErrorQuery({ de: request.query.de, ate: request.query.ate, modelos: request.query.modelos });
  return {
    kind: 'download',
    type: 'text/csv; charset=utf-8',
    fileName: sendsReportFileName(query),
    body: sendsReportCsv(context.sends.errors(query), {
      period: { de: query.de, ate: query.ate },
      models: query.models,
      mask: request.query.mascarar === '1',
      generatedAt: context.history.now(),
      by: callerOf(request).actor,
      timeZone: context.timeZone,
    }),
  };
};
