import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { RndsError } from '../errors.js';
import { LOOPBACK_HOSTS, normalizeHostName } from '../options.js';

/**
 * Security headers (helmet): a strict CSP with no inline script or style, same-origin referrers, no HSTS (PEC and its
 * LAN neighbours share host names; HSTS is the host's decision, not an embedded module's). `upgrade-insecure-requests`
 * only when the request itself came over HTTPS: plain-HTTP LANs must keep working.
 */
export function securityHeaders(): RequestHandler {
  const helmetFor = (secure: boolean) =>
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'"],
          'connect-src': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'self'"],
          'upgrade-insecure-requests': secure ? [] : null,
        },
      },
      referrerPolicy: { policy: 'same-origin' },
      strictTransportSecurity: false,
      crossOriginEmbedderPolicy: false,
      // Over plain HTTP (a LAN address) browsers ignore COOP and print an error on every page: send it only with TLS.
      crossOriginOpenerPolicy: secure,
    });
  const helmetHttps = helmetFor(true);
  const helmetHttp = helmetFor(false);
  return (req, res, next) => (req.secure ? helmetHttps : helmetHttp)(req, res, next);
}

/**
 * DNS rebinding: a page on any name the attacker controls can point that name at this server; only the names the
 * installation is really reached by are answered (the CSRF Origin check compares against this checked Host).
 * Undefined (no check) when no list is given or it holds `*`.
 */
export function hostAllowList(allowedHosts: string[] | undefined): RequestHandler | undefined {
  if (!allowedHosts || allowedHosts.includes('*')) return undefined;
  const allowed = new Set([...allowedHosts, ...LOOPBACK_HOSTS].map(normalizeHostName));
  return (req, _res, next) => {
    const host = req.hostname ? normalizeHostName(req.hostname) : '';
    if (allowed.has(host)) return next();
    next(new RndsError('HOST_NOT_ALLOWED', 'Nome de servidor não reconhecido: acesse o pec-rnds pelo endereço configurado, ou peça ao suporte que acrescente este nome a RNDS_ALLOWED_HOSTS.'));
  };
}
