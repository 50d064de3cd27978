/**
 * The one error class of the module. Every failure a person can cause or fix carries a `code` from
 * CONTRACT.md, the HTTP status the API answers with, and a pt-BR `message` that says what to do.
 */
export const ERROR_STATUS = {
  INVALID_INPUT: 400,
  /** The body is over the limit (16 KiB). */
  PAYLOAD_TOO_LARGE: 413,
  /** The Host header names none of the allowed host names (DNS rebinding). */
  HOST_NOT_ALLOWED: 421,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CERTIFICATE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  NOT_ENABLED: 409,
  /** POST /api/contra-chave while a certificate is enabled (disable first). */
  CONTRA_CHAVE_LOCKED: 409,
  WRONG_PASSWORD: 422,
  INVALID_CERTIFICATE: 422,
  UNSUPPORTED_CERTIFICATE: 422,
  NO_PRIVATE_KEY: 422,
  KEY_MISMATCH: 422,
  CERTIFICATE_EXPIRED: 422,
  CERTIFICATE_NOT_YET_VALID: 422,
  CERTIFICATE_TOO_LARGE: 422,
  TOO_EXPENSIVE: 422,
  TOO_MANY_ATTEMPTS: 429,
  /** Too many login attempts with a wrong access token from one address. */
  TOO_MANY_LOGINS: 429,
  /** Too many open event streams (globally or for one session). */
  TOO_MANY_STREAMS: 429,
  /** RNDS did not give a token: no connection, server error (the message names the cause). */
  RNDS_UNAVAILABLE: 502,
  /** RNDS refused the certificate, or its dates are past. */
  RNDS_CERTIFICATE_REJECTED: 502,
  SECRET_UNREADABLE: 500,
  STATE_UNREADABLE: 500,
  ALREADY_RUNNING: 500,
  WRITE_FAILED: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

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
