import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuditTrail, auditActor } from '@simfleet/application';
import { auditActionOf, auditOutcomeOf, auditResourceOf } from '@simfleet/domain';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The id a create (201) answered with, to name the new resource. */
function createdId(payload: unknown): string | undefined {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return undefined;
  try {
    const body = JSON.parse(payload) as { id?: unknown; user?: { id?: unknown } };
    const id = body.id ?? body.user?.id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  } catch {
    return undefined;
  }
}

/** The account an entry belongs to: the caller's; for the platform admin, the account its route names, if any. */
function accountOf(request: FastifyRequest): string | null {
  const principal = request.principal!;
  if (principal.kind === 'account') return principal.accountId;
  const params = request.params as Record<string, string> | undefined;
  return request.routeOptions.url?.startsWith('/v1/accounts/:id') && params?.id ? params.id : null;
}

/**
 * The audit trail of the REST API: every state-changing request of an authenticated caller (API key or
 * signed-in user), allowed or refused, is appended before its answer leaves: who, what, which resource,
 * how it ended, the request id, the address and the time. (Sign-ins, invite and reset acceptances, and
 * jobs' changes are appended by their use cases.)
 */
export function registerAuditHook(app: INestApplication): void {
  const audit = app.get(AuditTrail, { strict: false });
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (!WRITES.has(request.method) || !request.principal || !request.routeAudit || !request.routeOptions.url) return payload;
    const status = reply.statusCode;
    const derived = auditActionOf(request.method, request.routeOptions.url, request.routeAudit.declaredStatus);
    await audit.record(
      audit.entry({
        accountId: accountOf(request),
        ...auditActor(request.principal),
        action: request.routeAudit.action ?? derived.action,
        resource: auditResourceOf(request.url, derived.verbSegment, status === 201 ? createdId(payload) : undefined),
        outcome: auditOutcomeOf(status),
        status,
        requestId: request.id,
        address: request.ip,
      }),
    );
    return payload;
  });
}
