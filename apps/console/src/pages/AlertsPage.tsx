import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api, path, type Page } from '../api/client';
import { useLiveEvents } from '../api/live';
import type { Alert } from '../api/types';
import { ErrorMessage, MoreButton, PageHeader, QueryView, StatusBadge } from '../components/ui';
import { ago, dateTime, label } from '../format';
import { useSession } from '../session';

const TYPES = ['data_usage_limit', 'imei_change', 'impossible_travel', 'geofence', 'usage_spike', 'new_country', 'connection_storm', 'silent'];

export function AlertsPage() {
  const { identity } = useSession();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? 'active,acknowledged';
  const type = params.get('type') ?? '';
  const alerts = useInfiniteQuery({
    queryKey: ['alerts', status, type],
    queryFn: ({ pageParam, signal }) => api.get<Page<Alert>>(path('/v1/alerts', { status, type, limit: 50, cursor: pageParam }), { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  // The inbox is live: a raised, acknowledged or resolved alert shows at once.
  useLiveEvents({ types: ['alert.*'] }, () => void client.invalidateQueries({ queryKey: ['alerts'] }));
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'acknowledge' | 'resolve' }) => api.post(`/v1/alerts/${id}/${action}`),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['alerts'] }),
  });
  const rows = alerts.data?.pages.flatMap((p) => p.data) ?? [];
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  return (
    <>
      <PageHeader
        title="Alerts"
        subtitle="Raised by your alert rules; new ones appear here as they happen."
        actions={<Link to="/alert-rules">Alert rules</Link>}
      />
      <div className="toolbar">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => set('status', e.target.value)}>
            <option value="active,acknowledged">Open</option>
            <option value="active">Active</option>
            <option value="acknowledged">Acknowledged</option>
            <option value="resolved">Resolved</option>
            <option value="active,acknowledged,resolved">All</option>
          </select>
        </label>
        <label>
          Type{' '}
          <select value={type} onChange={(e) => set('type', e.target.value)}>
            <option value="">Any</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {label(t)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {act.error ? <ErrorMessage error={act.error} /> : null}
      <QueryView query={alerts} isEmpty={() => rows.length === 0} empty={<p>No alerts here. Alerts appear when a rule fires.</p>}>
        {() => (
          <div className="table-wrap">
            <table className="data" aria-label="Alerts">
              <thead>
                <tr>
                  <th scope="col">Alert</th>
                  <th scope="col">SIM</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last triggered</th>
                  <th scope="col">Details</th>
                  {identity.canWrite ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {rows.map((a) => (
                  <tr key={a.id} data-alert-type={a.type}>
                    <td>
                      {label(a.type)}
                      {a.level ? ` (stage ${a.level})` : ''}
                      {a.count > 1 ? ` ×${a.count}` : ''}
                    </td>
                    <td>
                      <Link to={`/sims/${a.iccid}`}>{a.iccid}</Link>
                    </td>
                    <td>
                      <span className={`badge badge-${a.severity}`}>{a.severity}</span>
                    </td>
                    <td>
                      <StatusBadge status={a.status} />
                      {a.block ? <span className="badge badge-blocked">blocks the SIM</span> : null}
                    </td>
                    <td title={dateTime(a.lastTriggeredAt)}>{ago(a.lastTriggeredAt)}</td>
                    <td className="details">
                      {Object.entries(a.details)
                        .slice(0, 4)
                        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
                        .join(' · ')}
                    </td>
                    {identity.canWrite ? (
                      <td className="actions">
                        {a.status === 'active' ? (
                          <button type="button" className="secondary small" onClick={() => act.mutate({ id: a.id, action: 'acknowledge' })}>
                            Acknowledge
                          </button>
                        ) : null}
                        {a.status !== 'resolved' ? (
                          <button type="button" className="secondary small" onClick={() => act.mutate({ id: a.id, action: 'resolve' })}>
                            Resolve
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <MoreButton hasMore={Boolean(alerts.hasNextPage)} loading={alerts.isFetchingNextPage} onClick={() => void alerts.fetchNextPage()} />
    </>
  );
}
