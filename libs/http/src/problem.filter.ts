import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorCode } from '@simfleet/domain';

/** Each domain error code, once, mapped to its HTTP status and title. */
export const PROBLEM_TYPES: Record<ErrorCode, { status: number; title: string }> = {
  [ErrorCode.ValidationFailed]: { status: 422, title: 'The request is not valid' },
  [ErrorCode.Unauthenticated]: { status: 401, title: 'Authentication required' },
  [ErrorCode.Forbidden]: { status: 403, title: 'Not allowed' },
  [ErrorCode.NotFound]: { status: 404, title: 'Not found' },
  [ErrorCode.Conflict]: { status: 409, title: 'Conflict' },
  [ErrorCode.InvalidTransition]: { status: 409, title: 'Action not allowed in the current state' },
  [ErrorCode.IdempotencyKeyReused]: { status: 422, title: 'Idempotency-Key reused with a different request' },
  [ErrorCode.RateLimited]: { status: 429, title: 'Too many requests' },
  [ErrorCode.PayloadTooLarge]: { status: 413, title: 'Payload too large' },
  [ErrorCode.UnsupportedMediaType]: { status: 415, title: 'Unsupported media type' },
  [ErrorCode.DependencyUnavailable]: { status: 503, title: 'A dependency is unavailable' },
  [ErrorCode.MfaRequired]: { status: 401, title: 'Two-factor code required' },
  [ErrorCode.InvalidCode]: { status: 401, title: 'Invalid two-factor code' },
  [ErrorCode.MfaEnrolmentRequired]: { status: 403, title: 'Set up two-factor authentication first' },
  [ErrorCode.CsrfRejected]: { status: 403, title: 'Cross-site request refused' },
  [ErrorCode.TokenExpired]: { status: 410, title: 'The link has expired' },
  [ErrorCode.TokenUsed]: { status: 410, title: 'The link was already used' },
};

export const problemTypeUri = (code: string) => `/problems/${code}`;

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  [extension: string]: unknown;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthenticated,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  422: ErrorCode.ValidationFailed,
  429: ErrorCode.RateLimited,
  503: ErrorCode.DependencyUnavailable,
};

/** Longest text a problem document repeats (a field's value, a message quoting input): it never echoes a megabyte back. */
export const MAX_PROBLEM_TEXT = 300;
/** Longest `detail`: it sums up every offending field (each message bounded on its own in `errors`). */
export const MAX_PROBLEM_DETAIL = 2000;

const truncate = (value: string, max = MAX_PROBLEM_TEXT) => (value.length > max ? `${value.slice(0, max)}… (truncated)` : value);

/** Every string of a problem document, at any depth, cut to MAX_PROBLEM_TEXT (arrays to 100 items). */
function bounded(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return truncate(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => bounded(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [truncate(key), bounded(item, depth + 1)]));
}

export function toProblem(error: unknown, request: { url: string; id: string; routeOptions?: { bodyLimit?: number } }): ProblemDocument {
  const problem = problemOf(error, request);
  return { ...(bounded(problem) as ProblemDocument), detail: truncate(problem.detail, MAX_PROBLEM_DETAIL) };
}

/** Fastify's error code, also when Nest wrapped the FastifyError in an HttpException (its cause). */
const fastifyCode = (error: unknown): unknown =>
  (error as { code?: unknown })?.code ?? (error instanceof HttpException ? (error.cause as { code?: unknown } | undefined)?.code : undefined);

function problemOf(error: unknown, request: { url: string; id: string; routeOptions?: { bodyLimit?: number } }): ProblemDocument {
  const base = { instance: request.url.split('?')[0], requestId: request.id };
  if (error instanceof DomainError) {
    const { status, title } = PROBLEM_TYPES[error.code];
    return { type: problemTypeUri(error.code), title, status, detail: error.message, ...base, ...error.details };
  }
  if (fastifyCode(error) === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions?.bodyLimit;
    return {
      type: problemTypeUri(ErrorCode.PayloadTooLarge),
      title: PROBLEM_TYPES[ErrorCode.PayloadTooLarge].title,
      status: 413,
      detail: limit ? `The request body exceeds the ${limit} bytes this operation accepts` : 'The request body is too large',
      ...base,
      ...(limit ? { maxBodyBytes: limit } : {}),
    };
  }
  // Fastify's own errors (malformed JSON, body too large, wrong content type) carry a statusCode.
  const status =
    error instanceof HttpException
      ? error.getStatus()
      : typeof (error as { statusCode?: unknown })?.statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : HttpStatus.INTERNAL_SERVER_ERROR;
  if (status >= 500 && !(status === 503 && error instanceof HttpException)) {
    return {
      type: problemTypeUri('internal-error'),
      title: 'Internal error',
      status: 500,
      detail: 'An unexpected error occurred; it has been logged with this request id.',
      ...base,
    };
  }
  const code = STATUS_CODES[status] ?? ErrorCode.ValidationFailed;
  const response = error instanceof HttpException ? error.getResponse() : undefined;
  const detail =
    typeof response === 'object' && response && 'message' in response
      ? String((response as { message: unknown }).message)
      : error instanceof Error
        ? error.message
        : 'The request could not be processed';
  const extra =
    typeof response === 'object' && response && 'problem' in response ? ((response as { problem: Record<string, unknown> }).problem ?? {}) : {};
  return { type: problemTypeUri(code), title: PROBLEM_TYPES[code]?.title ?? 'Error', status, detail, ...base, ...extra };
}

/**
 * Errors Fastify raises before routing (a malformed URL: 400; a path segment over maxParamLength: 414),
 * as problem+json like every other error (Fastify's `frameworkErrors`).
 */
export function problemOnFrameworkError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  const problem = toProblem(error, request);
  void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
}

/** Every error leaves the API as RFC 9457 `application/problem+json`. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const problem = toProblem(error, request);
    // The log line of a 500 names the request and carries the error's message and stack (pino's `err`).
    if (problem.status >= 500 && problem.type === problemTypeUri('internal-error'))
      this.logger.error({ requestId: request.id, method: request.method, url: request.url.split('?')[0], err: error });
    const headers =
      (error as { headers?: Record<string, string> })?.headers ??
      (error instanceof DomainError ? (error.details.headers as Record<string, string> | undefined) : undefined);
    if (headers) for (const [k, v] of Object.entries(headers)) reply.header(k, v);
    if (problem.headers) delete problem.headers;
    if (problem.status === 401) reply.header('www-authenticate', 'Bearer');
    void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
  }
}
