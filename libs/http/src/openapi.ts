import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiExtension, ApiOperation, ApiResponse, type OpenAPIObject } from '@nestjs/swagger';
import type { z } from 'zod';
import { MAX_JSON_DEPTH } from './input-text.js';
import { problemView } from './problem-view.js';
import { BODY_LIMIT_EXTENSION, DEFAULT_BODY_LIMIT, NO_BODY_LIMIT } from './request-contract.js';
import { openApiSchema } from './validation.js';

export const problemContent = { 'application/problem+json': { schema: openApiSchema(problemView, 'output') } };

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request: a body that is not JSON (or carries `__proto__`), a malformed URL',
  401: 'No API key or session, or an unknown, revoked or expired one',
  403: 'The key (or the user’s role) lacks the scope this route needs; or a cookie-authenticated write failed the CSRF check',
  404: 'No such resource in this account',
  408: 'The request (headers and body) did not arrive within the request timeout',
  409: 'Not allowed in the resource’s current state',
  410: 'The one-time link expired or was already used',
  413: 'The request body is larger than this operation accepts (`x-max-body-bytes`)',
  414: 'A path segment or the URL is too long',
  415: 'Unsupported media type: the body’s Content-Type is not one this operation lists',
  422: 'Invalid input: every offending field is listed in `errors`',
  429: 'Rate limited: see the RateLimit and Retry-After headers',
  503: 'A dependency is unavailable, or the process is shutting down',
};

/** Documents the problem+json responses a route may return. */
export const ApiProblems = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: PROBLEM_DESCRIPTIONS[status] ?? 'Error', content: problemContent })),
  );

/** Documents an authenticated route: bearer auth or the session cookie, its success response and its error responses. */
export const ApiRoute = (
  success: { status?: number; schema: z.ZodType; description?: string; alsoAs?: Record<string, Record<string, unknown>> },
  ...problems: number[]
) =>
  applyDecorators(
    ApiBearerAuth(),
    ApiCookieAuth(),
    ApiResponse({
      status: success.status ?? 200,
      description: success.description ?? 'OK',
      content: success.status === 204 ? undefined : { 'application/json': { schema: openApiSchema(success.schema, 'output') }, ...success.alsoAs },
    }),
    ApiProblems(401, 403, 429, ...problems),
  );

/** Documents a route reached before one has credentials (sign-in, invite acceptance, password reset): no security. */
export const ApiPublic = () => ApiOperation({ security: [] });

/** The largest body an operation accepts (default DEFAULT_BODY_LIMIT), enforced before the body is read and documented as `x-max-body-bytes`. */
export const ApiBodyLimit = (maxBytes: number) => ApiExtension(BODY_LIMIT_EXTENSION, maxBytes);

/** Fastify's default `maxParamLength`: a longer path segment is a 414. */
export const MAX_PATH_PARAMETER_LENGTH = 100;

/** Problem responses every operation can return, whatever its route: the transport's and the request contract's. */
const EVERY_OPERATION = [400, 408, 413, 414, 415, 422] as const;

/**
 * Completes the document the routes produced with what the platform enforces around them: the problem
 * responses every operation may return, each operation's body limit, and the rules of text. The API's
 * request checks (RequestContract) read this same document.
 */
export function completeOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item as Record<string, Record<string, unknown>>)) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(method) || !operation || typeof operation !== 'object') continue;
      const responses = (operation.responses ??= {}) as Record<string, unknown>;
      for (const status of EVERY_OPERATION) {
        responses[String(status)] ??= { description: PROBLEM_DESCRIPTIONS[status], content: problemContent };
      }
      // Fastify refuses a path segment longer than its maxParamLength (414): the document says so.
      for (const parameter of (operation.parameters ?? []) as Array<{ in: string; schema?: Record<string, unknown> }>) {
        if (parameter.in !== 'path') continue;
        parameter.schema ??= { type: 'string' };
        if (parameter.schema.type === 'string') parameter.schema.maxLength ??= MAX_PATH_PARAMETER_LENGTH;
      }
      const body = operation.requestBody as { description?: string } | undefined;
      operation[BODY_LIMIT_EXTENSION] ??= body ? DEFAULT_BODY_LIMIT : NO_BODY_LIMIT;
      if (body) {
        const limit = `At most ${operation[BODY_LIMIT_EXTENSION] as number} bytes, nested at most ${MAX_JSON_DEPTH} levels.`;
        body.description = body.description ? `${body.description} ${limit}` : limit;
      }
    }
  }
  document.info.description =
    `${document.info.description ?? ''} Text is Unicode without U+0000 and without unpaired surrogates: a field carrying either is refused (422 naming it). Query parameters an operation does not list are refused (422). Bodies are limited per operation (\`${BODY_LIMIT_EXTENSION}\`, 413) and must use a media type the operation lists (415).`.trim();
  return document;
}
