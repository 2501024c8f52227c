import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { api } from '../api/client';
import { Loading, PageHeader, QueryView } from '../components/ui';

const PointsMap = lazy(async () => ({ default: (await import('../map/PointsMap')).PointsMap }));
const ClusterMap = lazy(async () => ({ default: (await import('../map/ClusterMap')).ClusterMap }));

/** Above this many positions the server clusters them (the browser would hold too much). */
const CLIENT_LIMIT = 50_000;

export function FleetMapPage() {
  const size = useQuery({
    queryKey: ['positions', 'total'],
    queryFn: ({ signal }) => api.get<{ total: number }>('/v1/sims/positions/clusters?zoom=0', { signal }),
  });
  return (
    <>
      <PageHeader title="Fleet map" subtitle="Last known position of every SIM, clustered; positions move as devices report." />
      <QueryView query={size} label="Counting positions…">
        {(s) => (
          <Suspense fallback={<Loading label="Loading the map…" />}>
            {s.total <= CLIENT_LIMIT ? <PointsMap height={560} expected={s.total} /> : <ClusterMap height={560} />}
          </Suspense>
        )}
      </QueryView>
    </>
  );
}
