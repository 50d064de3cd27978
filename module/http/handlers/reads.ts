import type { Handler } from '../handler.js';

/** Public and cheap: load balancers and `npm run status` ask it without any credential. */
export const health: Handler = (_request, { enablement }) => ({
  kind: 'json',
  body: { status: 'ok', rnds: enablement.statusSnapshot().status.state },
  headers: { 'Cache-Control': 'no-store' },
});

export const status: Handler = () => ({ kind: 'status', part: 'body' });
export const certificates: Handler = () => ({ kind: 'status', part: 'certificates' });
export const metrics: Handler = () => ({ kind: 'metrics' });

/** The screen's live updates: a browser's stream belongs to its session (capped per session, ended at logout). */
export const events: Handler = ({ caller, session }, { sessions }) => {
  const sessionId = caller?.viaHeader ? undefined : session?.id;
  return { kind: 'events', owner: sessionId === undefined ? {} : { sessionId, isLive: () => sessions.isLive(sessionId) } };
};
