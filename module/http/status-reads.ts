import type { OutgoingHttpHeaders } from 'node:http';
import type express from 'express';
import fresh from 'fresh';
import type { Enablement } from '../enablement/index.js';
import { HOOK, type Access, type Caller } from './identify.js';
import { applySecurityHeaders, helmetHeaders } from './headers.js';
import type { LoginBudget } from './limits.js';

export interface StatusReadsDeps {
  enablement: Enablement;
  access: Access;
  /** The Host check (headers.ts hostAllowed); a request it refuses goes on to the app's own check, which answers it. */
  hostAllowed?: (req: express.Request) => boolean;
  /** The app's cookie parser, run here first (it then does nothing further down): sessions and a host's hook read cookies. */
  cookies: express.RequestHandler;
  /** Wrong access tokens per address: a Bearer read from an address that spent its budget goes down to Access.require. */
  logins?: LoginBudget;
}

/**
 * The Status reads, GET/HEAD /api/status and /api/certificates, for an authorized caller: answered first, with the
 * Host check and the cookies done here and the security headers sent with the answer, without the static files, the
 * body parsers, the login routes and the router the rest of the app goes through — monitoring pollers call them all
 * day (issue 14). Anything else, an unauthorized call or a refused Host included, goes on down the app unchanged
 * (Access.require reuses the identity found here, so a host's authorization hook is asked once).
 */
export function statusReads(deps: StatusReadsDeps): express.RequestHandler {
  const { enablement, access, hostAllowed, cookies, logins } = deps;
  const answer = (req: express.Request, res: express.Response, next: express.NextFunction, caller: Caller | undefined): void => {
    res.locals.rndsIdentified = { caller };
    // The reporting token reads nothing: Access.require answers it 403 further down.
    if (!caller || caller.reporting) return next();
    sendStatus(req, res, enablement, req.path === '/api/status' ? 'body' : 'certificates');
  };
  const failed = (req: express.Request, res: express.Response, next: express.NextFunction, error: unknown): void => {
    // The error page skips the app's header layer: it gets the headers here.
    applySecurityHeaders(req, res);
    next(error);
  };
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (req.path !== '/api/status' && req.path !== '/api/certificates')) return next();
    if (hostAllowed && !hostAllowed(req)) return next();
    if (req.headers.authorization !== undefined && logins?.waitOf(req) !== undefined) return next();
    let found: ReturnType<Access['identifyNow']>;
    try {
      // Sessions and a host's hook read cookies; a token caller without any Cookie header needs no parsing (the app's
      // own cookie layer still runs for whatever goes on down the app).
      if (req.headers.cookie !== undefined || !access.usesLogin) {
        let cookieError: unknown;
        cookies(req, res, (error?: unknown) => void (cookieError = error));
        if (cookieError) throw cookieError;
      }
      found = access.identifyNow(req, res);
    } catch (error) {
      return failed(req, res, next, error);
    }
    if (found !== HOOK) return answer(req, res, next, found);
    // Returned: Express 5 passes a rejection (a throw while answering) to the error handler.
    return access.identify(req, res).then(
      (caller) => answer(req, res, next, caller),
      (error: unknown) => failed(req, res, next, error),
    );
  };
}

/** The whole header block of a Status answer, per snapshot part and per HTTP/HTTPS: built once, sent as it is. */
interface PreparedHeaders {
  ok: OutgoingHttpHeaders;
  notModified: OutgoingHttpHeaders;
}
const prepared = new WeakMap<object, { http?: PreparedHeaders; https?: PreparedHeaders }>();

function preparedHeaders(part: { json: Buffer; etag: string }, secure: boolean): PreparedHeaders {
  let entry = prepared.get(part);
  if (!entry) prepared.set(part, (entry = {}));
  const key = secure ? 'https' : 'http';
  let headers = entry[key];
  if (!headers) {
    const common: OutgoingHttpHeaders = { ...Object.fromEntries(helmetHeaders(secure).set), 'Cache-Control': 'no-store', ETag: part.etag };
    headers = entry[key] = {
      notModified: Object.freeze(common),
      ok: Object.freeze({ ...common, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(part.json.length) }),
    };
  }
  return headers;
}

/**
 * Sends the Status (or its certificate list) serialised once per change (Enablement.statusSnapshot) with its strong
 * ETag: a poller that sends it back in If-None-Match gets 304 without the body. The security headers, `no-store`,
 * the ETag, type and length go out as one prepared block (what the app's layers and res.send would set, header by
 * header, on every read); freshness is Express's own test (the `fresh` package behind req.fresh).
 */
export function sendStatus(req: express.Request, res: express.Response, enablement: Enablement, part: 'body' | 'certificates'): void {
  const snapshot = enablement.statusSnapshot()[part];
  const secure = req.secure;
  const headers = preparedHeaders(snapshot, secure);
  for (const name of helmetHeaders(secure).remove) res.removeHeader(name);
  if (fresh(req.headers, { etag: snapshot.etag })) {
    res.writeHead(304, headers.notModified);
    res.end();
    return;
  }
  res.writeHead(200, headers.ok);
  if (req.method === 'HEAD') res.end();
  else res.end(snapshot.json);
}
