import { useInfiniteQuery } from '@tanstack/react-query';
import { api, path, type Page } from '../../api/client';
import type { DeadLetter } from '../../api/types';
import { MoreButton, PageHeader, QueryView } from '../../components/ui';
import { dateTime } from '../../format';

export function DeadLettersPage() {
  const letters = useInfiniteQuery({
    queryKey: ['dead-letters'],
    queryFn: ({ pageParam, signal }) => api.get<Page<DeadLetter>>(path('/v1/admin/dead-letters', { limit: 100, cursor: pageParam }), { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = letters.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <>
      <PageHeader title="Dead letters" subtitle="Jobs that failed for good after their retries: what they carried and why." />
      <QueryView query={letters} isEmpty={() => rows.length === 0} empty={<p>No dead letter: every job went through.</p>}>
        {() => (
          <div className="table-wrap">
            <table className="data" aria-label="Dead letters">
              <thead>
                <tr>
                  <th scope="col">Failed</th>
                  <th scope="col">Queue / job</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Error</th>
                  <th scope="col">Payload</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr key={d.id}>
                    <td>{dateTime(d.failedAt)}</td>
                    <td>
                      {d.queue} / {d.jobName}
                    </td>
                    <td>{d.attempts}</td>
                    <td>{d.error}</td>
                    <td className="details">
                      <code>{JSON.stringify(d.payload).slice(0, 300)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <MoreButton hasMore={Boolean(letters.hasNextPage)} loading={letters.isFetchingNextPage} onClick={() => void letters.fetchNextPage()} />
    </>
  );
}
