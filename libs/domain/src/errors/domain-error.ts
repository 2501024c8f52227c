/**
 * Every failure the domain reports, by code. The API maps each code to an HTTP status and an RFC 9457
 * problem type in one place (ProblemDetailsFilter); the domain never speaks HTTP.
 */
export enum ErrorCode {
  ValidationFailed = 'validation-failed',
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  NotFound = 'not-found',
  Conflict = 'conflict',
  InvalidTransition = 'invalid-transition',
  IdempotencyKeyReused = 'idempotency-key-reused',
  RateLimited = 'rate-limited',
  PayloadTooLarge = 'payload-too-large',
  UnsupportedMediaType = 'unsupported-media-type',
  DependencyUnavailable = 'dependency-unavailable',
  /** Sign-in: the password was right, the account has two-factor authentication, and no code was sent. */
  MfaRequired = 'mfa-required',
  /** Sign-in: the two-factor code (or recovery code) is wrong or was already used. */
  InvalidCode = 'invalid-code',
  /** The account requires two-factor authentication and this user has not set it up yet. */
  MfaEnrolmentRequired = 'mfa-enrolment-required',
  /** A cookie-authenticated write without the CSRF token, or from another origin. */
  CsrfRejected = 'csrf-rejected',
  /** A one-time token (invite, password reset) past its expiry. */
  TokenExpired = 'token-expired',
  /** A one-time token (invite, password reset) that was already used. */
  TokenUsed = 'token-used',
}

export interface FieldProblem {
  /** JSON pointer-ish path of the offending field, e.g. `sims/3/iccid`. */
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extension members of the problem document (RFC 9457 §3.2). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static validation(message: string, errors: FieldProblem[] = []): DomainError {
    return new DomainError(ErrorCode.ValidationFailed, message, errors.length ? { errors } : {});
  }

  static notFound(what: string, id: string): DomainError {
    return new DomainError(ErrorCode.NotFound, `${what} ${id} was not found`, { resource: what.toLowerCase(), id });
  }

  static conflict(message: string, details: Record<string, unknown> = {}): DomainError {
    return new DomainError(ErrorCode.Conflict, message, details);
  }
}
