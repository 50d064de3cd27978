import type { Handler } from '../handler.js';
import { fieldsOf } from '../handler.js';

/** `/entrar?token=…`, the link `npm start` prints; without a token, the login form. */
export const loginLink: Handler = ({ query }, { checkToken }) => {
  const token = typeof query.token === 'string' ? query.token : undefined;
  if (token === undefined) return { kind: 'login' };
  if (!checkToken(token)) {
    return { kind: 'login', status: 401, error: 'Token de acesso inválido: copie o endereço mostrado pelo npm start ou o conteúdo do arquivo access-token da pasta de dados.' };
  }
  return { kind: 'redirect', to: '/', session: 'start' };
};

/** The login form (its CSRF check runs before, csrf.ts loginCsrf). */
export const login: Handler = ({ body }, { checkToken }) => {
  const field = fieldsOf(body).token;
  const token = typeof field === 'string' ? field.trim() : '';
  if (!checkToken(token)) return { kind: 'login', status: 401, error: 'Token de acesso inválido: confira o token e tente novamente.' };
  return { kind: 'redirect', to: '/', session: 'start' };
};

/** Logging out is a POST (with the session's CSRF token, csrf.ts logoutCsrf); a GET just goes to the screen. */
export const logoutPage: Handler = () => ({ kind: 'redirect', to: '/' });

/** Revoked on disk before the answer; its event streams end with it (Sessions.onSessionEnd). */
export const logout: Handler = () => ({ kind: 'redirect', to: '/entrar', session: 'end' });
