import { NOTICES } from '../forms.js';
import { back, callerOf, fail, fieldsOf, json, type Handler } from '../handler.js';
import type { Ui } from './enable.js';

/** The contra-chave of this installation: `POST /api/contra-chave` and the screen's form. */
export function changeContraChave(ui: Ui): Handler {
  return async (request, { actions }) => {
    const actor = callerOf(request).actor;
    if (ui === 'api') {
      const result = await actions.changeContraChave(request.body, actor, 'api');
      return result.ok ? json(result.status) : fail(result.error);
    }
    const field = fieldsOf(request.body).contraChave;
    const typed = typeof field === 'string' ? field : '';
    const result = await actions.changeContraChave({ contraChave: typed }, actor, 'tela');
    if (result.ok) return back({ notice: NOTICES.contraChave });
    if (result.error.httpStatus >= 500) return fail(result.error);
    return back({ contraChaveForm: { value: typed.slice(0, 100), error: result.error.fields?.contraChave ?? result.error.message } });
  };
}
