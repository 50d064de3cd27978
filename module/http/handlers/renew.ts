import { NOTICES } from '../forms.js';
import { back, callerOf, fail, fieldsOf, json, type Handler } from '../handler.js';
import type { Ui } from './enable.js';

/** The renewal form's fields as the Renew input. */
function renewInputOf(body: Record<string, unknown>) {
  return {
    ...(typeof body.file === 'string' ? { file: body.file } : {}),
    ...(typeof body.sha256 === 'string' ? { sha256: body.sha256 } : {}),
    checkRnds: body.checkRnds === '1',
  };
}

/** Usar o certificado renovado: `POST /api/renew` and the form's `POST /renovar`. */
export function renew(ui: Ui): Handler {
  return async (request, { actions }) => {
    const input = ui === 'api' ? (request.body ?? {}) : renewInputOf(fieldsOf(request.body));
    const result = await actions.renew(input, callerOf(request).actor);
    if (ui === 'api') return result.ok ? json(result.status) : fail(result.error);
    // Refused, the current certificate stays enabled: the screen says why.
    if (!result.ok) return back({ notice: { type: 'danger', text: result.error.message } });
    // Only what is known: RNDS accepted it, or a test was started, or nobody asked RNDS yet.
    return back({ notice: result.checked ? NOTICES.renovado : result.connectionTestStarted ? NOTICES.renovadoTestando : NOTICES.renovadoSemTeste });
  };
}
