import { RndsError } from '../../errors.js';
import { enableInputOf, NOTICES, refusedForm } from '../forms.js';
import { back, callerOf, fail, fieldsOf, json, page, type Handler } from '../handler.js';

/** Where a use case is asked from: the JSON API or the screen's form. */
export type Ui = 'api' | 'tela';

/**
 * Habilitar: `POST /api/enable` (JSON) and the form's `POST /habilitar`, one flow. A refusal is the route's answer
 * either way; the adapter hands a refused attempt to the attempt limit and the metrics (limits.ts).
 */
export function enable(ui: Ui): Handler {
  return async (request, { actions, defaultEnvironment }) => {
    const actor = callerOf(request).actor;
    if (ui === 'api') {
      const result = await actions.enable(request.body, actor);
      return result.ok ? json(result.status) : fail(result.error);
    }
    const input = enableInputOf(fieldsOf(request.body));
    const result = await actions.enable(input, actor);
    if (result.ok) return back({ notice: result.connectionTestStarted ? NOTICES.habilitadoTestando : NOTICES.habilitado });
    const { error } = result;
    if (error.httpStatus >= 500) return fail(error);
    const form = refusedForm(input, error, defaultEnvironment);
    return {
      kind: 'back',
      flash: { form },
      refusal: error,
      // In place (app.js): the refused page and the Error at once, so the form is swapped without leaving the page.
      inPlace: page('page', { status: error.httpStatus, form, error: new RndsError(error.code, error.message, { fields: form.errors }) }),
    };
  };
}
