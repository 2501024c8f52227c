/** How a change ended: done, refused for lack of rights (401/403), or failed otherwise. */
export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One appended line of the audit log: who did what to which resource, how it ended, from where and when. */
export interface AuditEntry {
  id: string;
  /** The account it happened in; null for the platform's own log. */
  accountId: string | null;
  /** `user:<id>`, `api_key:<id>`, `anonymous` or `system`. */
  actor: string;
  /** A readable name of the actor at the time (the user's e-mail, the key's name). */
  actorName: string | null;
  /** Whether the actor is the platform's (admin key, platform admin user). */
  platformActor: boolean;
  /** Dotted, from the route: `sims.suspend`, `accounts.users.create`, `sessions.sign-in`. */
  action: string;
  /** Path of what it acted on, e.g. `sims/8988…`, `accounts/acc_…/users/usr_…`. */
  resource: string;
  outcome: AuditOutcome;
  /** HTTP status of the request (or null for a job's change). */
  status: number | null;
  requestId: string | null;
  /** What carried the change when not a request of its own, e.g. `job:job_…` for a bulk job. */
  via: string | null;
  address: string | null;
  at: Date;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export const auditOutcomeOf = (status: number): AuditOutcome => (status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure');

const METHOD_VERBS: Record<string, string> = { POST: 'create', PUT: 'replace', PATCH: 'update', DELETE: 'delete' };

/**
 * The audit action of a route, from its declaration: its literal path segments, dotted, then the verb of
 * its method — except a POST that does not create (declared status other than 201) on a literal segment,
 * where that segment is the verb (`POST /v1/sims/:iccid/suspend` → `sims.suspend`).
 */
export function auditActionOf(method: string, route: string, declaredStatus: number): { action: string; verbSegment: boolean } {
  const segments = route.split('?')[0].split('/').filter(Boolean);
  const parts = (segments[0] === 'v1' ? segments.slice(1) : segments).filter((s) => !s.startsWith(':'));
  const last = segments[segments.length - 1] ?? '';
  const verbSegment = method === 'POST' && declaredStatus !== 201 && !last.startsWith(':') && parts.length > 1;
  if (verbSegment) return { action: parts.join('.'), verbSegment };
  return { action: [...parts, METHOD_VERBS[method] ?? method.toLowerCase()].join('.'), verbSegment };
}

/** The resource a request acted on: its path under /v1, without a verb segment, plus the id it created. */
export function auditResourceOf(path: string, verbSegment: boolean, createdId?: string): string {
  const segments = path.split('?')[0].split('/').filter(Boolean);
  const parts = segments[0] === 'v1' ? segments.slice(1) : segments;
  if (verbSegment && parts.length > 1) parts.pop();
  if (createdId) parts.push(createdId);
  return parts.map((p) => decodeURIComponentSafe(p)).join('/');
}

function decodeURIComponentSafe(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
