import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { Flash } from './flash.js';

export const SESSION_COOKIE = 'pec_rnds_sessao';
/** The login form's nonce: anonymous visitors get this cookie and no server-side storage at all. */
const LOGIN_NONCE_COOKIE = 'pec_rnds_entrada';
const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** A session ends this long after its login however busy it is: a stolen cookie cannot be kept alive forever. */
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;
/** A session's cookie is signed again (with the time it was last seen) at most this often. */
const SESSION_REFRESH_MS = 60 * 1000;
/**
 * Sessions this process keeps in memory (their flash message, when they were last seen). Only authorized callers get
 * one (a login, or the host's hook), so anonymous traffic can never evict one; a session dropped from memory is not
 * logged out — its signed cookie brings it back.
 */
const MAX_SESSIONS = 1000;

export interface Session {
  id: string;
  csrfToken: string;
  /** Logged in with the access token (standalone mode). */
  authenticated: boolean;
  lastSeen: number;
  /** When it logged in (ms): the absolute lifetime counts from here. */
  born: number;
  /** Shown once by the next page (post/redirect/get). */
  flash?: Flash;
}

/** Where sessions ended at *Sair* are remembered (the data folder's list, or memory). */
export interface Revocations {
  has(id: string, now: number): boolean;
  /** Resolves once the revocation will survive a restart. */
  revoke(id: string, until: number, now: number): Promise<void>;
}

/** Revocations that last as long as the process (sessions built without a data folder). */
function memoryRevocations(): Revocations {
  const revoked = new Map<string, number>();
  return {
    has: (id, now) => (revoked.get(id) ?? 0) > now,
    revoke: async (id, until) => void revoked.set(id, until),
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    rndsSession?: Session;
  }
}

function randomToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

const sha256 = (text: string): Buffer => crypto.createHash('sha256').update(text).digest();

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  return crypto.timingSafeEqual(sha256(a), sha256(b)) && a.length === b.length;
}

/** A fixed secret (a token) with its SHA-256 computed once: each request hashes only what it sent (safeEqual). */
export interface KnownSecret {
  length: number;
  digest: Buffer;
}

export function knownSecret(text: string | undefined): KnownSecret | undefined {
  return text === undefined ? undefined : { length: text.length, digest: sha256(text) };
}

/** safeEqual(sent, the secret), without hashing the secret again. */
export function matchesSecret(sent: string, secret: KnownSecret | undefined): boolean {
  return secret !== undefined && crypto.timingSafeEqual(sha256(sent), secret.digest) && sent.length === secret.length;
}

function readCookie(req: Request, name: string): string | undefined {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

export interface SessionsOptions {
  now?: () => number;
  /** The data folder's session key; without one, sessions last as long as this instance. */
  sessionKey?: Buffer;
  revocations?: Revocations;
  /** The standalone access token: every session cookie is bound to the token that logged it in. */
  accessToken?: string;
}

/**
 * Login sessions. A session lives in its cookie, signed with the data folder's session key
 * (`<id>.<logged in>.<last seen>.<logged in at>.<HMAC>`), so it outlives a restart; its CSRF token is an HMAC of its id. Logging out
 * revokes the id (remembered across restarts until the cookie would have idled out anyway).
 */
export class Sessions {
  /** Sessions seen by this process: flash messages and last-seen times (bounded, see MAX_SESSIONS). */
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;
  /** Signs session cookies, their CSRF tokens and the login form's nonce. */
  readonly #key: Buffer;
  readonly #revocations: Revocations;
  /**
   * A fingerprint of the access token (an HMAC under the session key), part of every cookie's signature: a new token
   * ends every session made with the old one, also after a restart, without storing the token anywhere.
   */
  readonly #tokenFingerprint: string;
  readonly #endListeners = new Set<(sessionId: string) => void>();

  constructor(options: SessionsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#key = options.sessionKey ?? crypto.randomBytes(32);
    this.#revocations = options.revocations ?? memoryRevocations();
    this.#tokenFingerprint = options.accessToken === undefined ? '' : this.#mac('token', options.accessToken);
  }

  /** Calls `listener` with the id of every session that ends (logout, expiry, dropped from memory). */
  onSessionEnd(listener: (sessionId: string) => void): void {
    this.#endListeners.add(listener);
  }

  /** True while the session is in memory, not revoked and not expired; never extends it. */
  isLive(sessionId: string): boolean {
    const session = this.#sessions.get(sessionId);
    if (!session) return false;
    const now = this.#now();
    if (this.#expired(session.born, session.lastSeen, now) || this.#revocations.has(sessionId, now)) {
      this.#delete(session.id);
      return false;
    }
    return true;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /**
   * The login form's CSRF token for an anonymous visitor: an HMAC of a random nonce kept in the visitor's own cookie.
   * Nothing is stored on the server, so any number of anonymous visits costs no memory.
   */
  loginCsrf(req: Request, res: Response): string {
    let nonce = readCookie(req, LOGIN_NONCE_COOKIE);
    if (!nonce || !/^[\w-]{43}$/.test(nonce)) {
      nonce = randomToken();
      res.cookie(LOGIN_NONCE_COOKIE, nonce, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: req.baseUrl || '/' });
    }
    return this.#mac('entrada', nonce);
  }

  /** True when `sent` is the login form's token for this visitor's nonce cookie. */
  checkLoginCsrf(req: Request, sent: string | undefined): boolean {
    const nonce = readCookie(req, LOGIN_NONCE_COOKIE);
    return nonce !== undefined && sent !== undefined && safeEqual(sent, this.#mac('entrada', nonce));
  }

  #mac(purpose: string, text: string): string {
    return crypto.createHmac('sha256', this.#key).update(`${purpose}\0${text}`).digest('base64url');
  }

  /**
   * The request's session, if its cookie is signed with this installation's key, not revoked and not idle for too
   * long. With `res`, a cookie last signed over a minute ago is signed again with the current time (sliding expiry).
   */
  session(req: Request, res?: Response): Session | undefined {
    const cookie = this.#unseal(readCookie(req, SESSION_COOKIE));
    if (!cookie) return undefined;
    const now = this.#now();
    let session = this.#sessions.get(cookie.id);
    const lastSeen = Math.max(cookie.seen, session?.lastSeen ?? 0);
    if (this.#expired(cookie.born, lastSeen, now) || this.#revocations.has(cookie.id, now)) {
      if (session) this.#delete(session.id);
      return undefined;
    }
    if (!session) {
      session = { id: cookie.id, csrfToken: this.#mac('csrf', cookie.id), authenticated: cookie.authenticated, lastSeen, born: cookie.born };
      this.#store(session);
    }
    session.lastSeen = now;
    if (res && now - cookie.seen > SESSION_REFRESH_MS) this.#setCookie(req, res, session);
    return session;
  }

  /**
   * The request's session, created (and its cookie set) when there is none. Only for callers already authorized (a
   * login, or the host's hook): anonymous visitors never get one.
   */
  ensureSession(req: Request, res: Response, authenticated = false): Session {
    let session = this.session(req, res);
    if (!session || authenticated) {
      if (session) this.#delete(session.id); // a login gets a fresh id: no session fixation
      res.clearCookie(LOGIN_NONCE_COOKIE, { path: req.baseUrl || '/' });
      const id = randomToken();
      const now = this.#now();
      session = { id, csrfToken: this.#mac('csrf', id), authenticated, lastSeen: now, born: now };
      this.#store(session);
      this.#setCookie(req, res, session);
    }
    req.rndsSession = session;
    return session;
  }

  /** Ends the request's session: its cookie is cleared and its id refused from now on, also after a restart. */
  async endSession(req: Request, res: Response): Promise<void> {
    const session = this.session(req);
    res.clearCookie(SESSION_COOKIE, { path: req.baseUrl || '/' });
    if (!session) return;
    this.#delete(session.id);
    const now = this.#now();
    // No cookie of this id was signed after now, so none can outlive now + the idle limit, nor its absolute lifetime.
    const until = Math.min(now + SESSION_IDLE_MS + SESSION_REFRESH_MS, session.born + SESSION_MAX_MS + 1000);
    await this.#revocations.revoke(session.id, until, now);
  }

  /** Keeps `flash` in the session for the next page. */
  setFlash(session: Session, flash: Flash): void {
    session.flash = flash;
  }

  /** The session's flash, removed: it is shown once. */
  takeFlash(session: Session): Flash | undefined {
    const { flash } = session;
    session.flash = undefined;
    return flash;
  }

  #expired(born: number, lastSeen: number, now: number): boolean {
    return now - lastSeen > SESSION_IDLE_MS || now - born > SESSION_MAX_MS;
  }

  #setCookie(req: Request, res: Response, session: Session): void {
    res.cookie(SESSION_COOKIE, this.#seal(session), { httpOnly: true, sameSite: 'strict', secure: req.secure, path: req.baseUrl || '/' });
  }

  #seal(session: Session): string {
    const body = `${session.id}.${session.authenticated ? 1 : 0}.${Math.floor(session.lastSeen / 1000)}.${Math.floor(session.born / 1000)}`;
    return `${body}.${this.#mac('sessao', `${this.#tokenFingerprint}\0${body}`)}`;
  }

  #unseal(value: string | undefined): { id: string; authenticated: boolean; seen: number; born: number } | undefined {
    const match = value === undefined ? null : /^([\w-]{43})\.([01])\.(\d{1,12})\.(\d{1,12})\.([\w-]{43})$/.exec(value);
    if (!match) return undefined;
    const [, id, authenticated, seen, born, mac] = match as unknown as [string, string, string, string, string, string];
    if (!safeEqual(mac, this.#mac('sessao', `${this.#tokenFingerprint}\0${id}.${authenticated}.${seen}.${born}`))) return undefined;
    return { id, authenticated: authenticated === '1', seen: Number(seen) * 1000, born: Number(born) * 1000 };
  }

  #store(session: Session): void {
    if (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.#sessions.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0];
      if (oldest) this.#delete(oldest.id);
    }
    this.#sessions.set(session.id, session);
  }

  #delete(id: string): void {
    if (!this.#sessions.delete(id)) return;
    for (const listener of this.#endListeners) listener(id);
  }
}
