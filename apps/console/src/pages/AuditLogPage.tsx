// The audit log (GET /v1/audit-log): who changed what, when, from where. Filters live in the URL (a
// filtered view survives a reload and can be shared), pages follow the API's keyset cursor, and the CSV is
// the API's own (Accept: text/csv), read page by page.
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { authHeaders, problemOf } from '../api/auth';
import { api, download, path, type Page } from '../api/client';
import { asProblem } from '../api/problem';
import type { AuditEntry } from '../api/types';
import { ErrorMessage, Field, MoreButton, PageHeader, QueryView, StatusBadge } from '../components/ui';
import { count, dateTime } from '../format';
import { useSession } from '../session';

const FILTERS = ['actor', 'resource', 'action', 'from', 'to', 'accountId'] as const;
type Filter = (typeof FILTERS)[number];
const CSV_PAGE = 1000;
const CSV_MAX_PAGES = 50;

/** `datetime-local` (read as UTC, like every time the console shows) ⇄ the API's ISO instants. */
const toInstant = (local: string) => (local ? new Date(`${local}:00Z`).toISOString() : '');
const toLocal = (iso: string | null) => (iso ? iso.slice(0, 16) : '');

export function AuditLogPage() {
  const { identity } = useSession();
  const admin = identity.kind === 'admin';
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<Filter, string>;
  const [draft, setDraft] = useState(() => ({ ...applied, from: toLocal(applied.from), to: toLocal(applied.to) }));
  const [csv, setCsv] = useState<{ busy: boolean; error: unknown; note: string | null }>({ busy: false, error: null, note: null });

  const log = useInfiniteQuery({
    queryKey: ['audit-log', applied],
    queryFn: ({ pageParam, signal }) => api.get<Page<AuditEntry>>(path('/v1/audit-log', { ...applied, limit: 100, cursor: pageParam }), { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = log.data?.pages.flatMap((p) => p.data) ?? [];
  const problem = log.error ? asProblem(log.error) : null;

  const apply = (next: Record<Filter, string>) => {
    const search = new URLSearchParams();
    for (const f of FILTERS) if (next[f]) search.set(f, next[f]);
    setParams(search);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({ ...draft, from: toInstant(draft.from), to: toInstant(draft.to) });
  };
  const only = (filter: Filter, value: string) => {
    setDraft((d) => ({ ...d, [filter]: value }));
    apply({ ...applied, [filter]: value });
  };
  const clear = () => {
    setDraft(Object.fromEntries(FILTERS.map((f) => [f, ''])) as Record<Filter, string>);
    setParams(new URLSearchParams());
  };

  /** The API's CSV of the current filter, every page (up to CSV_MAX_PAGES × CSV_PAGE entries), as one file. */
  const exportCsv = async () => {
    setCsv({ busy: true, error: null, note: null });
    try {
      let url: string | null = path('/v1/audit-log', { ...applied, limit: CSV_PAGE });
      let text = '';
      let pages = 0;
      while (url && pages < CSV_MAX_PAGES) {
        const response: Response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'text/csv', ...authHeaders(false) } });
        if (!response.ok) throw await problemOf(response);
        const body = await response.text();
        // Each page starts with the header row: the file keeps the first one.
        text += pages === 0 ? body : body.slice(body.indexOf('\n') + 1);
        pages += 1;
        url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
      }
      download(`audit-log-${new Date().toISOString().slice(0, 10)}.csv`, text);
      setCsv({
        busy: false,
        error: null,
        note: url ? `The file holds the newest ${count(CSV_MAX_PAGES * CSV_PAGE)} entries: narrow the time range for older ones.` : null,
      });
    } catch (error) {
      setCsv({ busy: false, error, note: null });
    }
  };

  const field = (filter: Filter, label: string, hint?: string, type = 'text') => (
    <Field label={label} hint={hint} error={problem?.forField(filter)}>
      {(p) => <input {...p} type={type} value={draft[filter]} onChange={(e) => setDraft({ ...draft, [filter]: e.target.value })} />}
    </Field>
  );

  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle={admin ? 'Who changed what on the platform, or in one account.' : 'Who changed what in your account, when, from where.'}
        actions={
          <button type="button" className="secondary" onClick={() => void exportCsv()} disabled={csv.busy}>
            {csv.busy ? 'Preparing the CSV…' : 'Download CSV'}
          </button>
        }
      />
      {csv.error ? <ErrorMessage error={csv.error} /> : null}
      {csv.note ? <p className="muted">{csv.note}</p> : null}
      <form className="filters" onSubmit={submit} aria-label="Filter the audit log" noValidate>
        {field('actor', 'Actor', 'user:…, api_key:…, system')}
        {field('resource', 'Resource', 'sims/… ; a prefix ends with / or *')}
        {field('action', 'Action', 'sims.suspend ; a prefix ends with . or *')}
        {field('from', 'From (UTC)', undefined, 'datetime-local')}
        {field('to', 'To (UTC)', undefined, 'datetime-local')}
        {admin ? field('accountId', 'Account', 'An account’s id; empty: the platform’s own') : null}
        <button type="submit">Apply</button>
        <button type="button" className="secondary" onClick={clear}>
          Clear
        </button>
      </form>
      <QueryView query={log} isEmpty={() => rows.length === 0} empty={<p>Nothing recorded for this filter.</p>}>
        {() => (
          <>
            <p className="muted" aria-live="polite">
              {count(rows.length)} entr{rows.length === 1 ? 'y' : 'ies'} shown, newest first{log.hasNextPage ? ' (more below)' : ''}.
            </p>
            <div className="table-wrap">
              <table className="data" aria-label="Audit log">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Action</th>
                    <th scope="col">Resource</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Via</th>
                    <th scope="col">Address</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((e) => (
                    <tr key={e.id} data-action={e.action} data-actor={e.actorName ?? e.actor}>
                      <td>{dateTime(e.at)}</td>
                      <td>
                        <button type="button" className="link-button" title={`Only ${e.actor}`} onClick={() => only('actor', e.actor)}>
                          {e.actorName ?? e.actor}
                        </button>
                        {e.platformActor ? <span className="badge badge-admin">platform</span> : null}
                        {e.actorName ? (
                          <>
                            <br />
                            <code className="small">{e.actor}</code>
                          </>
                        ) : null}
                      </td>
                      <td>
                        <button type="button" className="link-button" title={`Only ${e.action}`} onClick={() => only('action', e.action)}>
                          {e.action}
                        </button>
                      </td>
                      <td>
                        <button type="button" className="link-button" title={`Only ${e.resource}`} onClick={() => only('resource', e.resource)}>
                          <code>{e.resource}</code>
                        </button>
                      </td>
                      <td>
                        <StatusBadge status={e.outcome} />
                        {e.status ? <span className="muted"> {e.status}</span> : null}
                      </td>
                      <td>{e.via ?? '—'}</td>
                      <td>{e.address ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </QueryView>
      <MoreButton hasMore={Boolean(log.hasNextPage)} loading={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()} />
    </>
  );
}
