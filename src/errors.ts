/**
 * The one error type of the gateway. Callers switch on `code`, never on message text.
 * `message` is always safe to show to an operator or client: it never carries a secret.
 */
export type ErrorCode = 'CONFIG_INVALID';

export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
}
