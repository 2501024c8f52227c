import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { z } from 'zod';
import { problemView } from './problem-view.js';
import { openApiSchema } from './validation.js';

const problemContent = { 'application/problem+json': { schema: openApiSchema(problemView, 'output') } };

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  401: 'No API key or session, or an unknown, revoked or expired one',
  403: 'The key (or the user’s role) lacks the scope this route needs; or a cookie-authenticated write failed the CSRF check',
  404: 'No such resource in this account',
  409: 'Not allowed in the resource’s current state',
  410: 'The one-time link expired or was already used',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Invalid input: every offending field is listed in `errors`',
  429: 'Rate limited: see the RateLimit and Retry-After headers',
};

/** Documents the problem+json responses a route may return. */
export const ApiProblems = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: PROBLEM_DESCRIPTIONS[status] ?? 'Error', content: problemContent })),
  );

/** Documents an authenticated route: bearer auth or the session cookie, its success response and its error responses. */
export const ApiRoute = (success: { status?: number; schema: z.ZodType; description?: string }, ...problems: number[]) =>
  applyDecorators(
    ApiBearerAuth(),
    ApiCookieAuth(),
    ApiResponse({
      status: success.status ?? 200,
      description: success.description ?? 'OK',
      content: { 'application/json': { schema: openApiSchema(success.schema, 'output') } },
    }),
    ApiProblems(401, 403, 429, ...problems),
  );

/** Documents a route reached before one has credentials (sign-in, invite acceptance, password reset): no security. */
export const ApiPublic = () => ApiOperation({ security: [] });
