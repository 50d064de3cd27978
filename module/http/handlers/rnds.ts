import { TAB_MODELS } from '../../enums.js';
import { RndsError } from '../../errors.js';
import {
  checkReportForm,
  emptySummary,
  filterFrom,
  dayText,
  parseDay,
  lastDays,
  PERIOD_MESSAGES,
  periodCountText,
  REFUSALS_SHOWN,
  type Period,
  type PeriodCounts,
  type RefusalFilter,
  type ReportFormState,
  type RndsTabData,
} from '../../present/rnds-tab.js';
import { json, page, type Handler, type HandlerContext, type Reply } from '../handler.js';

const ZERO_COUNTS: PeriodCounts = { RIA: 0, RAC: 0, RPM: 0 };

/** RNDS is enabled when a certificate is enabled (degraded included) with the RNDS service. */
function rndsEnabled(ctx: HandlerContext): boolean {
  const enabled = ctx.enablement.status().enabled;
  return enabled !== null && enabled.services.includes('RNDS');
}

/** Everything the tab shows, read from the store; with nothing enabled, the empty tab (the store stays closed). */
async function tabData(ctx: HandlerContext, filter: RefusalFilter, period: Period, reportPeriod: Period): Promise<RndsTabData> {
  // Taken before the store is read: a report stored while the tab is read makes the page older than the stream's
  // next version, so rnds.js asks again (taken after, that report could be missed).
  const sendsVersion = ctx.sendsVersion();
  const enabled = rndsEnabled(ctx);
  const sends = ctx.sends;
  if (!enabled) return { enabled, sendsVersion, summary: emptySummary(), refusals: [], codeCounts: [], periodCounts: ZERO_COUNTS, filter, period };
  const [summary, refusals, codeCounts, periodCounts] = await Promise.all([
    sends.summary(),
    sends.recentRefusals(REFUSALS_SHOWN, filter),
    sends.codeCounts(period),
    sends.periodCounts(reportPeriod),
  ]);
  return { enabled, sendsVersion, summary, refusals, codeCounts, periodCounts, filter, period };
}

// The module's clock (the history carries it), so a test or a host with its own clock sees the same days.
const defaultPeriod = (ctx: HandlerContext): Period => lastDays(ctx.history.now(), ctx.timeZone);

/** GET {base}/rnds: the tab, with the refusals filtered by `?modelo=&status=`. */
export const rndsTab: Handler = async ({ query }, ctx) => {
  const period = defaultPeriod(ctx);
  return page('rnds', { rnds: await tabData(ctx, filterFrom(query), period, period) });
};

const REPORT_FIELDS = ['de', 'ate', 'modelos', 'todos', 'mascarar'];

/**
 * GET {base}/rnds/relatorio: the report form without JavaScript. Opened plainly, the tab with the form in place;
 * submitted, a 303 to the CSV (modelos joined by commas), or the form again saying what is wrong (400).
 */
export const rndsReport: Handler = async ({ query }, ctx): Promise<Reply> => {
  const period = defaultPeriod(ctx);
  let form: ReportFormState;
  if (REPORT_FIELDS.some((field) => field in query)) {
    const checked = checkReportForm(query);
    if (checked.ok) return { kind: 'redirect', to: `/api/envios/relatorio-erros.csv?${checked.query}` };
    form = checked.form;
  } else {
    form = { de: dayText(period.de), ate: dayText(period.ate), models: [], mascarar: false, errors: {} };
  }
  const de = parseDay(form.de);
  const ate = parseDay(form.ate);
  const reportPeriod = de && ate && de <= ate ? { de, ate } : period;
  const data = await tabData(ctx, {}, period, reportPeriod);
  const invalid = form.errors.period !== undefined || form.errors.models !== undefined;
  return page('rnds', { rnds: { ...data, reportForm: form }, ...(invalid ? { status: 400 } : {}) });
};

/** The contract's Error as JSON: this route is read by rnds.js's fetch, though its path is not under /api. */
const invalid = (error: RndsError): Reply => json(error.toJSON(), error.httpStatus);

/** GET {base}/rnds/contagens?de=&ate=: the records per model in the period, for the report dialog. */
export const rndsCounts: Handler = async ({ query }, ctx) => {
  const de = parseDay(query.de);
  const ate = parseDay(query.ate);
  if (!de || !ate) {
    const fields: Record<string, string> = {};
    if (!de) fields.de = PERIOD_MESSAGES.missing;
    if (!ate) fields.ate = PERIOD_MESSAGES.missing;
    return invalid(new RndsError('INVALID_INPUT', PERIOD_MESSAGES.missing, { fields }));
  }
  if (ate < de) return invalid(new RndsError('INVALID_INPUT', PERIOD_MESSAGES.order, { fields: { ate: PERIOD_MESSAGES.order } }));
  const counts = rndsEnabled(ctx) ? await ctx.sends.periodCounts({ de, ate }) : ZERO_COUNTS;
  return json({
    de,
    ate,
    counts,
    texts: Object.fromEntries(TAB_MODELS.map((m) => [m, periodCountText(counts[m])])),
  });
};
