/** Sends reported by the host (CONTRACT.md *Sends*): the report, the summary and the error list. */
import { parseErrorQuery, parsePeriod, type SendError } from '../../sends/index.js';
import { json, type Handler } from '../handler.js';

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
