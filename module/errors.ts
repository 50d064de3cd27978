/**
 * The one error class of the module. Every failure a person can cause or fix carries a `code` from
 * docs/CONTRACT.md, the HTTP status the API answers with, and a pt-BR `message` that says what to do.
 *
 * ERRORS is that table as data: each code's HTTP status and when it is answered (English, for the generated
 * docs/CONTRACT.md and docs/openapi.json).
 */
export const ERRORS = {
  INVALID_INPUT: { status: 400, when: 'the body or query fails validation (`fields` names each bad field)' },
  PAYLOAD_TOO_LARGE: { status: 413, when: 'the body is over the limit (16 KiB)' },
  HOST_NOT_ALLOWED: { status: 421, when: 'the Host header names none of the allowed host names (DNS rebinding)' },
  UNAUTHENTICATED: { status: 401, when: 'no valid token or session' },
  FORBIDDEN: { status: 403, when: 'a cross-site or CSRF-less cookie request, or a token that may not call the route' },
  CERTIFICATE_NOT_FOUND: { status: 404, when: '`file` is not a listed `ready` entry' },
  NOT_FOUND: { status: 404, when: 'no such route or file' },
  NOT_ENABLED: { status: 409, when: 'a connection test, renewal or token request while nothing is enabled' },
  SECRET_KEY_UNUSABLE: { status: 409, when: "enabling cannot seal the password: the data folder's `secret.key` is refused (loose mode, not a file…)" },
  CONTRA_CHAVE_LOCKED: { status: 409, when: '`POST /api/contra-chave` while a certificate is enabled (disable first)' },
  WRONG_PASSWORD: { status: 422, when: 'the password does not open the file' },
  INVALID_CERTIFICATE: { status: 422, when: 'not a PKCS#12 file, truncated, corrupted' },
  UNSUPPORTED_CERTIFICATE: { status: 422, when: 'a PKCS#12 algorithm the module cannot open (the message names it)' },
  NO_PRIVATE_KEY: { status: 422, when: 'the file has no private key (a cert-only `.p12`; a renamed `.cer`/PEM may get this or `INVALID_CERTIFICATE`)' },
  KEY_MISMATCH: { status: 422, when: 'no certificate in the file matches its private key' },
  CERTIFICATE_EXPIRED: { status: 422, when: 'notAfter is in the past (the message gives the date, dd/mm/aaaa)' },
  CERTIFICATE_NOT_YET_VALID: { status: 422, when: 'notBefore is in the future' },
  CERTIFICATE_TOO_LARGE: { status: 422, when: 'the file is larger than a certificate can be' },
  TOO_EXPENSIVE: { status: 422, when: 'the key-derivation cost is above the configured cap' },
  TOO_MANY_ATTEMPTS: {
    status: 429,
    when:
      'after 5 wrong passwords (`WRONG_PASSWORD`) within 15 minutes from one client address, on any enable path (API or form) — other ' +
      'mistakes do not count; `X-Forwarded-For` is ignored unless a trusted proxy is configured; `Retry-After` header set; no permanent lockout',
  },
  TOO_MANY_LOGINS: { status: 429, when: 'after 10 wrong tokens within 15 minutes from one address, at `/entrar` and as `Authorization: Bearer` (any token that matches none) counted together; until the window ends every Bearer request from that address is refused, the right token too; the right token never counts; `X-Forwarded-For` only behind a trusted proxy; `Retry-After` set' },
  TOO_MANY_STREAMS: { status: 429, when: 'too many open event streams, globally or for one session' },
  RNDS_UNAVAILABLE: { status: 502, when: 'RNDS did not give a token: no connection, server error (the message names the cause)' },
  RNDS_CERTIFICATE_REJECTED: { status: 502, when: 'RNDS refused the certificate, or its dates are past; a renewal checked with RNDS changes nothing' },
  SECRET_UNREADABLE: { status: 500, when: 'the stored password cannot be decrypted: the admin must type it again' },
  STATE_UNREADABLE: { status: 500, when: "the data folder's state file cannot be read or understood" },
  ALREADY_RUNNING: { status: 500, when: 'another instance already uses the data folder' },
  WRITE_FAILED: { status: 500, when: 'the data folder could not be written (nothing was changed)' },
  INTERNAL: { status: 500, when: 'an unexpected error (logged on the server)' },
} as const satisfies Record<string, { status: number; when: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Every error code, in the order of ERRORS (the order the contract lists them in). */
export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];

/** The HTTP status each error code is answered with. */
export const ERROR_STATUS = Object.fromEntries(ERROR_CODES.map((code) => [code, ERRORS[code].status])) as { readonly [C in ErrorCode]: (typeof ERRORS)[C]['status'] };

export interface RndsErrorOptions {
  /** Per-field pt-BR messages, for INVALID_INPUT and for errors that belong next to one field. */
  fields?: Record<string, string>;
  /** Seconds until a retry may succeed (TOO_MANY_ATTEMPTS). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class RndsError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly fields?: Record<string, string>;
  readonly retryAfterSeconds?: number;
  /** Operational errors are expected (bad input, wrong password); the others are bugs. */
  readonly isOperational: boolean;

  constructor(code: ErrorCode, message: string, options: RndsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RndsError';
    this.code = code;
    this.httpStatus = ERROR_STATUS[code];
    this.fields = options.fields;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.isOperational = code !== 'INTERNAL';
  }

  /** The contract's error body: `{"error":{"code","message","fields"?}}`. */
  toJSON(): { error: { code: ErrorCode; message: string; fields?: Record<string, string> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.fields ? { fields: this.fields } : {}),
      },
    };
  }
}

export function isRndsError(error: unknown): error is RndsError {
  return error instanceof RndsError;
}
