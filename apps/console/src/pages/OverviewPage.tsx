import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { useLiveInvalidate } from '../api/hooks';
import type { Overview, Summary } from '../api/types';
import { Card, ErrorMessage, Loading, PageHeader, QueryView, Stat } from '../components/ui';
import { bytes, count, dateTime, label, money } from '../format';
import { useSession } from '../session';

const ClusterMap = lazy(async () => ({ default: (await import('../map/ClusterMap')).ClusterMap }));

function Bar({ value, max, text }: { value: number; max: number; text: string }) {
  return (
    <div className="bar-row">
      <span className="bar-label">{text}</span>
      <span className="bar" aria-hidden="true">
        <span style={{ width: `${max ? Math.max(2, (value / max) * 100) : 0}%` }} />
      </span>
      <span className="bar-value">{count(value)}</span>
    </div>
  );
}

export function OverviewPage() {
  const { identity } = useSession();
  const client = useQueryClient();
  const summary = useQuery({ queryKey: ['sims', 'summary'], queryFn: ({ signal }) => api.get<Summary>('/v1/sims/summary', { signal }) });
  const overview = useQuery({ queryKey: ['overview'], queryFn: ({ signal }) => api.get<Overview>('/v1/overview', { signal }) });
  useLiveInvalidate({ types: ['sim.activated', 'sim.suspended', 'sim.resumed', 'sim.terminated', 'sim.allocated'] }, [['sims', 'summary']]);
  useLiveInvalidate({ types: ['alert.*', 'sim.connected', 'sim.disconnected', 'invoice.*'] }, [['overview']]);
  const draft = useMutation({
    mutationFn: () => api.post('/v1/invoices', { period: new Date().toISOString().slice(0, 7) }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['overview'] }),
  });

  return (
    <>
      <PageHeader title="Overview" subtitle="Your fleet at a glance; figures follow the fleet live." />
      <QueryView
        query={summary}
        label="Loading the fleet…"
        isEmpty={(s) => s.total === 0}
        empty={
          <p>
            No SIMs yet: <Link to="/orders">order SIMs</Link>.
          </p>
        }
      >
        {(s) => (
          <div className="stats" aria-label="SIMs by status">
            <Stat label="SIMs" value={count(s.total)} to="/sims" />
            {s.byStatus.map((b) => (
              <Stat key={b.status} label={label(b.status)} value={count(b.count)} to={`/sims?status=${b.status}`} />
            ))}
            <Stat label="Online now" value={overview.data ? count(overview.data.onlineSims) : '…'} to="/map" />
          </div>
        )}
      </QueryView>
      <div className="grid">
        <Card title="Data this month">
          {overview.isPending ? (
            <Loading />
          ) : overview.error ? (
            <ErrorMessage error={overview.error} />
          ) : (
            <>
              <p className="big">{bytes(overview.data!.data.thisMonth.bytesTotal)}</p>
              <p className="muted">
                {count(overview.data!.data.thisMonth.sessions)} sessions · same days last month{' '}
                {bytes(overview.data!.data.lastMonthSamePeriod.bytesTotal)} · all of last month {bytes(overview.data!.data.lastMonth.bytesTotal)}
              </p>
              <Bar
                text="This month"
                value={overview.data!.data.thisMonth.bytesTotal}
                max={Math.max(overview.data!.data.thisMonth.bytesTotal, overview.data!.data.lastMonthSamePeriod.bytesTotal)}
              />
              <Bar
                text="Last month, same days"
                value={overview.data!.data.lastMonthSamePeriod.bytesTotal}
                max={Math.max(overview.data!.data.thisMonth.bytesTotal, overview.data!.data.lastMonthSamePeriod.bytesTotal)}
              />
            </>
          )}
        </Card>
        <Card
          title="Spend this month"
          action={
            identity.canWrite ? (
              <button type="button" className="secondary small" onClick={() => draft.mutate()} disabled={draft.isPending}>
                {draft.isPending ? 'Drafting…' : 'Refresh draft'}
              </button>
            ) : null
          }
        >
          {draft.error ? <ErrorMessage error={draft.error} /> : null}
          {overview.data?.spend ? (
            <>
              <p className="big">{money(overview.data.spend.total, overview.data.spend.currency)}</p>
              <p className="muted">
                {overview.data.spend.status} invoice {overview.data.spend.period}, as of {dateTime(overview.data.spend.generatedAt)} ·{' '}
                <Link to={`/invoices/${overview.data.spend.invoiceId}`}>open the invoice</Link>
              </p>
            </>
          ) : overview.data ? (
            <p className="muted">No draft invoice for this month yet.</p>
          ) : null}
        </Card>
        <Card title="Open alerts" action={<Link to="/alerts">Inbox</Link>}>
          {overview.data ? (
            overview.data.openAlerts.length ? (
              <ul className="plain">
                {overview.data.openAlerts.map((a) => (
                  <li key={`${a.type}-${a.severity}`}>
                    <Link to={`/alerts?type=${a.type}`}>{label(a.type)}</Link> <span className={`badge badge-${a.severity}`}>{a.severity}</span>{' '}
                    <strong>{count(a.count)}</strong>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">No open alerts.</p>
            )
          ) : (
            <Loading />
          )}
        </Card>
        <Card title="Top networks" action={<Link to="/network">Network statistics</Link>}>
          {summary.data ? (
            summary.data.byNetwork.filter((n) => n.network).length ? (
              summary.data.byNetwork
                .filter((n) => n.network)
                .slice(0, 5)
                .map((n) => <Bar key={n.network} text={n.network!} value={n.count} max={summary.data.byNetwork.find((x) => x.network)!.count} />)
            ) : (
              <p className="muted">No SIM has been seen on a network yet.</p>
            )
          ) : (
            <Loading />
          )}
        </Card>
        <Card title="Top countries">
          {summary.data ? (
            summary.data.byCountry.filter((c) => c.country).length ? (
              summary.data.byCountry
                .filter((c) => c.country)
                .slice(0, 5)
                .map((c) => <Bar key={c.country} text={c.country!} value={c.count} max={summary.data.byCountry.find((x) => x.country)!.count} />)
            ) : (
              <p className="muted">No SIM has been seen in a country yet.</p>
            )
          ) : (
            <Loading />
          )}
        </Card>
        <Card title="Last known positions" action={<Link to="/map">Fleet map</Link>} className="wide">
          <Suspense fallback={<Loading label="Loading the map…" />}>
            <ClusterMap height={280} />
          </Suspense>
        </Card>
      </div>
    </>
  );
}
