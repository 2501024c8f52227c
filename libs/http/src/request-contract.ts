import { randomUUID } from 'node:crypto';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, ErrorCode, type FieldProblem } from '@simfleet/domain';
import { safeLabel, textProblem, unsafeTextProblems } from './input-text.js';

/** OpenAPI extension of an operation: the largest request body it accepts, in bytes. */
export const BODY_LIMIT_EXTENSION = 'x-max-body-bytes';
/** A JSON request body, unless the operation says otherwise (`@ApiJsonBody(…, { maxBytes })`). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
/** An operation that takes no body still reads one this small (and ignores it): `{}` or an empty object from a generic client. */
export const NO_BODY_LIMIT = 1024;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

interface OperationContract {
  /** `POST /v1/sims/{iccid}/activate`: how failures name the operation. */
  name: string;
  /** Media types of the request body, or null when the operation takes none. */
  mediaTypes: string[] | null;
  queryParameters: Set<string>;
  bodyLimit: number;
}

type OperationObject = {
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content?: Record<string, unknown> };
  [extension: string]: unknown;
};

/**
 * What the OpenAPI document says each operation accepts, looked up by the Fastify route (`/v1/sims/:iccid`).
 * The document is the contract: the API refuses what it does not describe, before authentication.
 */
export class RequestContract {
  private readonly operations = new Map<string, OperationContract>();

  constructor(document: OpenAPIObject) {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const method of METHODS) {
        const operation = (item as Record<string, OperationObject | undefined>)[method];
        if (!operation) continue;
        const content = operation.requestBody?.content;
        const limit = operation[BODY_LIMIT_EXTENSION];
        this.operations.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, {
          name: `${method.toUpperCase()} ${path}`,
          mediaTypes: content ? Object.keys(content) : null,
          queryParameters: new Set((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name)),
          bodyLimit: typeof limit === 'number' ? limit : content ? DEFAULT_BODY_LIMIT : NO_BODY_LIMIT,
        });
      }
    }
  }

  /** The operation a Fastify route serves (HEAD is served by its GET). */
  find(method: string, routeUrl: string | undefined): OperationContract | undefined {
    if (!routeUrl) return undefined;
    return this.operations.get(`${method === 'HEAD' ? 'GET' : method} ${routeUrl}`);
  }
}

const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined ||
  (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');

const mediaTypeOf = (request: FastifyRequest) => (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

function queryProblems(contract: OperationContract, query: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!query || typeof query !== 'object') return problems;
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    // An operation that takes query parameters validates them (ZodPipe, strict: unknown ones are named with
    // every other problem); one that takes none refuses any here.
    if (!contract.queryParameters.size) {
      problems.push({ field: safeLabel(name), message: 'unknown query parameter (this operation takes none)' });
      continue;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      const problem = typeof item === 'string' ? textProblem(item) : null;
      if (problem) problems.push({ field: name, message: problem });
    }
  }
  return problems;
}

function paramProblems(params: unknown): FieldProblem[] {
  if (!params || typeof params !== 'object') return [];
  return Object.entries(params as Record<string, unknown>).flatMap(([name, value]) => {
    const problem = typeof value === 'string' ? textProblem(value) : null;
    return problem ? [{ field: name, message: problem }] : [];
  });
}

/**
 * Enforces the request side of the contract on every operation of `contract`, before the route's guard
 * (authentication) and handler run:
 *  - the body limit of each route (Fastify answers 413 from Content-Length, before reading the body);
 *  - the media type of a body (415 when the operation does not list it);
 *  - query parameters the operation does not document (422, the same on every route);
 *  - NUL characters, unpaired surrogates and excessive nesting in path parameters, query and JSON body (422 naming the field).
 * Routes the document does not describe (docs, metrics) keep Fastify's defaults.
 */
export function enforceRequestContract(fastify: FastifyInstance, contract: RequestContract): void {
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const operation = methods.map((method) => contract.find(method, route.url)).find(Boolean);
    if (operation) route.bodyLimit = operation.bodyLimit;
  });

  fastify.addHook('preParsing', async (request, _reply, payload) => {
    const operation = contract.find(request.method, request.routeOptions.url);
    if (!operation || !hasBody(request)) return payload;
    const type = mediaTypeOf(request);
    const accepted = operation.mediaTypes ?? ['application/json'];
    if (!accepted.includes(type)) {
      throw new DomainError(
        ErrorCode.UnsupportedMediaType,
        `${operation.name} accepts ${accepted.join(' or ')}${type ? `, not ${safeLabel(type).slice(0, 100)}` : ' (send a Content-Type header)'}`,
        { accepted },
      );
    }
    return payload;
  });

  fastify.addHook('preValidation', async (request) => {
    const operation = contract.find(request.method, request.routeOptions.url);
    if (!operation) return;
    const problems = [
      ...paramProblems(request.params),
      ...queryProblems(operation, request.query),
      ...(typeof request.body === 'object' ? unsafeTextProblems(request.body) : []),
    ];
    if (problems.length) {
      throw DomainError.validation(`The request is not valid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems.slice(0, 20));
    }
  });
}

/**
 * The body formats the platform reads: JSON (an empty body is no body, as for a request without one; `null`
 * stays `null`), and NDJSON as text for the routes that document it. Nothing else is parsed (415), not even
 * text/plain, which Fastify would otherwise hand to any route as a string.
 */
export function configureBodyParsers(fastify: FastifyInstance): void {
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') return done(null, undefined);
    void json(request, text, done);
  });
  fastify.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) => done(null, body));
}

const CLIENT_ERRORS: Record<string, { type: string; status: number; title: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    type: 'request-timeout',
    status: 408,
    title: 'Request Timeout',
    detail: 'The request (headers and body) did not arrive within the request timeout',
  },
  HPE_HEADER_OVERFLOW: {
    type: 'headers-too-large',
    status: 431,
    title: 'Request Header Fields Too Large',
    detail: 'The request headers exceed the size limit',
  },
};

/**
 * Errors of the HTTP layer itself (a request that never completes, headers too large, bytes that are not
 * HTTP), answered as problem+json like every other error, then the connection is closed.
 */
export function problemOnClientError(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[error.code ?? ''] ?? {
    type: 'bad-request',
    status: 400,
    title: 'Bad Request',
    detail: 'The request is not valid HTTP',
  };
  const body = JSON.stringify({
    type: `/problems/${known.type}`,
    title: known.title,
    status: known.status,
    detail: known.detail,
    instance: '',
    requestId: randomUUID(),
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${known.status} ${known.title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
