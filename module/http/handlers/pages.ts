import { back, page, type Handler } from '../handler.js';

/** The screen, with what the last form left in the session's flash (shown once). */
export const screen: Handler = ({ session }, { sessions }) => {
  const flash = session ? sessions.takeFlash(session) : undefined;
  return page('page', { notice: flash?.notice, form: flash?.form, contraChaveForm: flash?.contraChaveForm });
};

export const fragments: Handler = () => page('fragmentos');
export const guide: Handler = () => page('guia');

/** A form's address opened by hand (F5 on an old POST, a bookmark): the screen, not a 404. */
export const backToScreen: Handler = () => back();
