import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { api, path } from '../api/client';
import type { Network } from '../api/types';
import { Card, Loading, PageHeader, QueryView } from '../components/ui';
import { bytes, count } from '../format';

const Choropleth = lazy(async () => ({ default: (await import('../map/Choropleth')).Choropleth }));

const METRICS = { sessions: 'Sessions', bytesTotal: 'Data', sims: 'Distinct SIMs' } as const;
type Metric = keyof typeof METRICS;
const RANGES = { '24h': 1, '7d': 7, '30d': 30, '90d': 90 } as const;
type RangeKey = keyof typeof RANGES;
/** A network whose sessions fell by more than this against the previous period of the same length is flagged. */
const DROP = 0.3;

const hourNow = () => Math.ceil(Date.now() / 3_600_000) * 3_600_000;

interface Stats {
  networks: Network[];
}

export function NetworkStatsPage() {
  const [params, setParams] = useSearchParams();
  const metric = (params.get('metric') as Metric) in METRICS ? (params.get('metric') as Metric) : 'sessions';
  const range = (params.get('range') as RangeKey) in RANGES ? (params.get('range') as RangeKey) : '30d';
  const country = params.get('country');
  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes))
      if (v === null) next.delete(k);
      else next.set(k, v);
    setParams(next, { replace: true });
  };
  const to = useMemo(() => hourNow(), []);
  const span = RANGES[range] * 86_400_000;
  const current = useQuery({
    queryKey: ['network-stats', range, to],
    queryFn: ({ signal }) =>
      api.get<Stats>(path('/v1/network-stats', { from: new Date(to - span).toISOString(), to: new Date(to).toISOString() }), { signal }),
  });
  const previous = useQuery({
    queryKey: ['network-stats', range, to, 'previous'],
    queryFn: ({ signal }) =>
      api.get<Stats>(path('/v1/network-stats', { from: new Date(to - 2 * span).toISOString(), to: new Date(to - span).toISOString() }), { signal }),
  });
  const byCountry = useMemo(() => {
    const values = new Map<string, number>();
    for (const n of current.data?.networks ?? []) if (n.country) values.set(n.country, (values.get(n.country) ?? 0) + n[metric]);
    return values;
  }, [current.data, metric]);
  const previousSessions = useMemo(() => new Map((previous.data?.networks ?? []).map((n) => [n.key, n.sessions])), [previous.data]);
  const select = useCallback((code: string | null) => update({ country: code }), [params]); // eslint-disable-line react-hooks/exhaustive-deps
  const format = (value: number) => (metric === 'bytesTotal' ? bytes(value) : count(value));
  const rows = (current.data?.networks ?? []).filter((n) => !country || n.country === country).sort((a, b) => b[metric] - a[metric]);

  return (
    <>
      <PageHeader title="Network statistics" subtitle="Data sessions by country and network, over the period chosen." />
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Metric">
          {(Object.keys(METRICS) as Metric[]).map((m) => (
            <button key={m} type="button" aria-pressed={metric === m} onClick={() => update({ metric: m })}>
              {METRICS[m]}
            </button>
          ))}
        </div>
        <div className="segmented" role="group" aria-label="Period">
          {(Object.keys(RANGES) as RangeKey[]).map((r) => (
            <button key={r} type="button" aria-pressed={range === r} onClick={() => update({ range: r })}>
              {r}
            </button>
          ))}
        </div>
        {country ? (
          <button type="button" className="secondary" onClick={() => update({ country: null })}>
            Showing {country} · show every country
          </button>
        ) : null}
      </div>
      <QueryView query={current} isEmpty={(s) => s.networks.length === 0} empty={<p>No data session in this period.</p>}>
        {() => (
          <>
            <Suspense fallback={<Loading label="Loading the map…" />}>
              <Choropleth
                values={byCountry}
                selected={country}
                onSelect={select}
                describe={`Map of ${METRICS[metric].toLowerCase()} by country; the table below lists the same figures`}
              />
            </Suspense>
            <Card title={country ? `Networks in ${country}` : 'Networks'}>
              <div className="table-wrap">
                <table className="data" aria-label="Networks">
                  <thead>
                    <tr>
                      <th scope="col">MCC-MNC</th>
                      <th scope="col">Network</th>
                      <th scope="col">Country</th>
                      <th scope="col">Sessions</th>
                      <th scope="col">Data</th>
                      <th scope="col">SIMs</th>
                      <th scope="col">RAT split</th>
                      <th scope="col">Against previous period</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((n) => {
                      const before = previousSessions.get(n.key) ?? 0;
                      const dropped = before > 0 && n.sessions < before * (1 - DROP);
                      return (
                        <tr key={n.key} className={dropped ? 'dropped' : ''} data-country={n.country ?? ''}>
                          <td>{n.key}</td>
                          <td>{n.name ?? '—'}</td>
                          <td>
                            {n.country ? (
                              <button type="button" className="link" onClick={() => update({ country: n.country })}>
                                {n.country}
                              </button>
                            ) : (
                              '—'
                            )}
                          </td>
                          <td data-metric="sessions">{count(n.sessions)}</td>
                          <td>{bytes(n.bytesTotal)}</td>
                          <td>{count(n.sims)}</td>
                          <td>{n.rats.map((r) => `${r.rat} ${Math.round((r.sessions / Math.max(1, n.sessions)) * 100)} %`).join(' · ')}</td>
                          <td>
                            {before ? `${n.sessions >= before ? '+' : ''}${Math.round(((n.sessions - before) / before) * 100)} %` : 'new'}
                            {dropped ? <span className="badge badge-critical">sessions dropped</span> : null}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              {country ? null : (
                <p className="muted small">
                  By country ({METRICS[metric].toLowerCase()}):{' '}
                  {[...byCountry.entries()]
                    .sort((a, b) => b[1] - a[1])
                    .map(([c, v]) => (
                      <span key={c} className="country-figure" data-country={c}>
                        {c} {format(v)}{' '}
                      </span>
                    ))}
                </p>
              )}
            </Card>
          </>
        )}
      </QueryView>
    </>
  );
}
