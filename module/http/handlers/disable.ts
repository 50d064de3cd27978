import { NOTICES } from '../forms.js';
import { back, callerOf, fail, json, page, type Handler } from '../handler.js';
import type { Ui } from './enable.js';

/** Desabilitar: `POST /api/disable` and the form's `POST /desabilitar`. */
export function disable(ui: Ui): Handler {
  return async (request, { actions, enablement }) => {
    const wasEnabled = enablement.status().enabled !== null;
    const result = await actions.disable(callerOf(request).actor);
    if (ui === 'api') return result.ok ? json(result.status) : fail(result.error);
    return back({ notice: wasEnabled ? NOTICES.desabilitado : NOTICES.nadaHabilitado });
  };
}

/** Without JavaScript, "Desabilitar certificado" opens this page: the POST only runs from its button. */
export const confirmDisable: Handler = (_request, { enablement }) =>
  enablement.status().enabled ? page('desabilitar') : back({ notice: NOTICES.nadaHabilitado });
