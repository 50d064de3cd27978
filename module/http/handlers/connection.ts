import { RndsError } from '../../errors.js';
import { NOTICES } from '../forms.js';
import { back, callerOf, fail, json, type Handler } from '../handler.js';
import type { Ui } from './enable.js';

/** Testar conexão: `POST /api/connection-test` and the form's `POST /testar-conexao`. */
export function testConnection(ui: Ui): Handler {
  return async (_request, { actions }) => {
    const result = await actions.testConnection();
    if (ui === 'api') return result.ok ? json({ connection: result.connection }) : fail(result.error);
    if (result.ok) return back({ notice: NOTICES.testado });
    if (result.error.code === 'NOT_ENABLED') return back();
    return fail(result.error);
  };
}

/** The RNDS token is for the host's integrations (Bearer, or rnds.getToken() in process), never for a browser session. */
export const token: Handler = async (request, { enablement }) => {
  if (!callerOf(request).viaHeader) {
    return fail(
      new RndsError('FORBIDDEN', 'O token da RNDS só é entregue a integrações com o cabeçalho Authorization: Bearer <token> (ou por rnds.getToken() no próprio servidor), não à sessão do navegador.'),
    );
  }
  const rndsToken = await enablement.getToken();
  return json({ accessToken: rndsToken.accessToken, tokenType: rndsToken.tokenType, expiresAt: rndsToken.expiresAt.toISOString() });
};
