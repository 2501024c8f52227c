import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, download, path, type Page } from '../api/client';
import { useLiveInvalidate } from '../api/hooks';
import { asProblem } from '../api/problem';
import type { Group, Job, Sim, SimAction } from '../api/types';
import { JobProgress } from '../components/JobProgress';
import { ConfirmDialog, Empty, ErrorMessage, Field, Loading, PageHeader, ProgressBar, StatusBadge } from '../components/ui';
import { ago, count, label } from '../format';
import { useSession } from '../session';

const PAGE = 200;
const ROW_HEIGHT = 40;

interface Column {
  id: string;
  title: string;
  value: (sim: Sim) => string;
  sort?: string;
}

const COLUMNS: Column[] = [
  { id: 'iccid', title: 'ICCID', value: (s) => s.iccid, sort: 'iccid' },
  { id: 'name', title: 'Name', value: (s) => s.name ?? '', sort: 'name' },
  { id: 'status', title: 'Status', value: (s) => s.status },
  { id: 'msisdn', title: 'MSISDN', value: (s) => s.msisdn ?? '' },
  { id: 'network', title: 'Network', value: (s) => s.network ?? '' },
  { id: 'country', title: 'Country', value: (s) => s.country ?? '' },
  { id: 'rat', title: 'RAT', value: (s) => s.rat ?? '' },
  { id: 'lastSeenAt', title: 'Last seen', value: (s) => s.lastSeenAt ?? '', sort: 'lastSeenAt' },
  {
    id: 'tags',
    title: 'Tags',
    value: (s) =>
      Object.entries(s.tags)
        .map(([k, v]) => `${k}:${v}`)
        .join(' '),
  },
  { id: 'groupId', title: 'Group', value: (s) => s.groupId ?? '' },
  { id: 'imei', title: 'IMEI', value: (s) => s.imei ?? '' },
  { id: 'createdAt', title: 'Created', value: (s) => s.createdAt, sort: 'createdAt' },
];
const DEFAULT_COLUMNS = ['iccid', 'name', 'status', 'network', 'country', 'lastSeenAt', 'tags'];
const COLUMNS_KEY = 'simfleet.sims.columns';

const LAST_SEEN: Record<string, { label: string; query: (now: number) => Record<string, string> }> = {
  '': { label: 'Any time', query: () => ({}) },
  '1h': { label: 'In the last hour', query: (now) => ({ lastSeenAfter: new Date(now - 3_600_000).toISOString() }) },
  '24h': { label: 'In the last 24 hours', query: (now) => ({ lastSeenAfter: new Date(now - 86_400_000).toISOString() }) },
  '7d': { label: 'In the last 7 days', query: (now) => ({ lastSeenAfter: new Date(now - 7 * 86_400_000).toISOString() }) },
  'silent-24h': { label: 'Not in the last 24 hours', query: (now) => ({ lastSeenBefore: new Date(now - 86_400_000).toISOString() }) },
};

/** The list filters, as the URL holds them and as the API takes them. */
function useFilters() {
  const [params, setParams] = useSearchParams();
  const filters = {
    q: params.get('q') ?? '',
    status: params.get('status') ?? '',
    tag: params.getAll('tag'),
    groupId: params.get('groupId') ?? '',
    country: params.get('country') ?? '',
    network: params.get('network') ?? '',
    lastSeen: params.get('lastSeen') ?? '',
    sort: params.get('sort') ?? 'iccid',
  };
  const set = (changes: Partial<Record<keyof typeof filters, string | string[]>>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      next.delete(name);
      for (const v of Array.isArray(value) ? value : [value]) if (v) next.append(name, v);
    }
    setParams(next, { replace: true });
  };
  // The instant "last seen" is relative to: fixed for the page's life so the query key stays stable.
  const [now] = useState(() => Date.now());
  const apiFilter = useMemo(
    () => ({
      q: filters.q || undefined,
      status: filters.status || undefined,
      tag: filters.tag.length ? filters.tag : undefined,
      groupId: filters.groupId || undefined,
      country: filters.country || undefined,
      network: filters.network || undefined,
      ...(LAST_SEEN[filters.lastSeen] ?? LAST_SEEN['']).query(now),
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [params.toString(), now],
  );
  return { filters, set, apiFilter };
}

function FiltersForm({
  filters,
  set,
  groups,
}: {
  filters: ReturnType<typeof useFilters>['filters'];
  set: ReturnType<typeof useFilters>['set'];
  groups: Group[];
}) {
  const [q, setQ] = useState(filters.q);
  const [tag, setTag] = useState(filters.tag.join(' '));
  useEffect(() => {
    const timer = window.setTimeout(() => q !== filters.q && set({ q }), 300);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);
  return (
    <form className="filters" role="search" aria-label="Filter SIMs" onSubmit={(e) => e.preventDefault()}>
      <Field label="Search" hint="ICCID or MSISDN prefix, or part of the name">
        {(p) => <input {...p} type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="8988303…" />}
      </Field>
      <Field label="Status">
        {(p) => (
          <select {...p} value={filters.status} onChange={(e) => set({ status: e.target.value })}>
            <option value="">Any</option>
            {['inventory', 'active', 'suspended', 'terminated'].map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Tag" hint="key:value, several separated by spaces">
        {(p) => <input {...p} value={tag} onChange={(e) => setTag(e.target.value)} onBlur={() => set({ tag: tag.split(/\s+/).filter(Boolean) })} />}
      </Field>
      <Field label="Group">
        {(p) => (
          <select {...p} value={filters.groupId} onChange={(e) => set({ groupId: e.target.value })}>
            <option value="">Any</option>
            <option value="none">No group</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Country" hint="ISO code, e.g. FR">
        {(p) => <input {...p} value={filters.country} maxLength={2} size={3} onChange={(e) => set({ country: e.target.value.toUpperCase() })} />}
      </Field>
      <Field label="Network">{(p) => <input {...p} defaultValue={filters.network} onBlur={(e) => set({ network: e.target.value.trim() })} />}</Field>
      <Field label="Last seen">
        {(p) => (
          <select {...p} value={filters.lastSeen} onChange={(e) => set({ lastSeen: e.target.value })}>
            {Object.entries(LAST_SEEN).map(([value, o]) => (
              <option key={value} value={value}>
                {o.label}
              </option>
            ))}
          </select>
        )}
      </Field>
    </form>
  );
}

function ColumnChooser({ visible, setVisible }: { visible: string[]; setVisible: (v: string[]) => void }) {
  return (
    <details className="menu">
      <summary>Columns</summary>
      <fieldset>
        <legend>Columns shown</legend>
        {COLUMNS.map((c) => (
          <label key={c.id} className="check">
            <input
              type="checkbox"
              checked={visible.includes(c.id)}
              disabled={c.id === 'iccid'}
              onChange={(e) =>
                setVisible(
                  e.target.checked
                    ? COLUMNS.filter((x) => visible.includes(x.id) || x.id === c.id).map((x) => x.id)
                    : visible.filter((v) => v !== c.id),
                )
              }
            />
            {c.title}
          </label>
        ))}
      </fieldset>
    </details>
  );
}

const csvCell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** CSV of every SIM the filter matches, read page by page from GET /v1/sims. */
function CsvExport({ apiFilter, columns, total }: { apiFilter: Record<string, unknown>; columns: Column[]; total: number | undefined }) {
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const cancel = useRef<AbortController | null>(null);
  const run = async () => {
    const controller = new AbortController();
    cancel.current = controller;
    setError(null);
    setProgress(0);
    const lines = [columns.map((c) => csvCell(c.title)).join(',')];
    try {
      let cursor: string | null = null;
      do {
        const page: Page<Sim> = await api.get<Page<Sim>>(
          path('/v1/sims', { ...(apiFilter as Record<string, string | string[]>), limit: 1000, cursor }),
          {
            signal: controller.signal,
          },
        );
        for (const sim of page.data) lines.push(columns.map((c) => csvCell(c.value(sim))).join(','));
        setProgress(lines.length - 1);
        cursor = page.nextCursor;
      } while (cursor);
      download(`sims-${new Date().toISOString().slice(0, 10)}.csv`, `${lines.join('\r\n')}\r\n`);
    } catch (e) {
      if (!controller.signal.aborted) setError(e);
    } finally {
      setProgress(null);
    }
  };
  return (
    <>
      {progress === null ? (
        <button type="button" className="secondary" onClick={() => void run()}>
          Export CSV
        </button>
      ) : (
        <span className="inline-progress">
          <ProgressBar value={progress} max={total ?? progress} label="CSV export" />
          <button type="button" className="secondary small" onClick={() => cancel.current?.abort()}>
            Cancel
          </button>
        </span>
      )}
      {error ? <ErrorMessage error={error} /> : null}
    </>
  );
}

type BulkChoice = SimAction | 'tags' | 'group';

export function SimsPage() {
  const { identity } = useSession();
  const client = useQueryClient();
  const { filters, set, apiFilter } = useFilters();
  const [visible, setVisibleState] = useState<string[]>(() => JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? 'null') ?? DEFAULT_COLUMNS);
  const setVisible = (v: string[]) => {
    localStorage.setItem(COLUMNS_KEY, JSON.stringify(v));
    setVisibleState(v);
  };
  const columns = COLUMNS.filter((c) => visible.includes(c.id));
  const groups = useQuery({ queryKey: ['groups'], queryFn: ({ signal }) => api.get<Page<Group>>('/v1/groups?limit=1000', { signal }) });
  const total = useQuery({
    queryKey: ['sims', 'count', apiFilter],
    queryFn: ({ signal }) => api.get<{ count: number }>(path('/v1/sims/count', apiFilter as Record<string, string | string[]>), { signal }),
  });
  const list = useInfiniteQuery({
    queryKey: ['sims', 'list', apiFilter, filters.sort],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Sim>>(
        path('/v1/sims', { ...(apiFilter as Record<string, string | string[]>), sort: filters.sort, limit: PAGE, cursor: pageParam }),
        { signal },
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  useLiveInvalidate({ types: ['sim.activated', 'sim.suspended', 'sim.resumed', 'sim.terminated', 'sim.updated', 'sim.allocated'] }, [['sims']], 3000);
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
  }, [apiFilter]);
  const selectionCount = allMatching ? (total.data?.count ?? 0) : selected.size;

  const [choice, setChoice] = useState<BulkChoice>('suspend');
  const [reason, setReason] = useState('');
  const [tagText, setTagText] = useState('');
  const [groupChoice, setGroupChoice] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [patchProgress, setPatchProgress] = useState<{ done: number; total: number; failures: Array<{ iccid: string; reason: string }> } | null>(
    null,
  );
  const bulk = useMutation({
    mutationFn: async () => {
      if (choice === 'tags' || choice === 'group') {
        // Organisation changes go SIM by SIM (PATCH), for the rows selected.
        const iccids = [...selected];
        const failures: Array<{ iccid: string; reason: string }> = [];
        const tags = Object.fromEntries(
          tagText
            .split(/\s+/)
            .filter(Boolean)
            .map((t) => t.split(':') as [string, string]),
        );
        setPatchProgress({ done: 0, total: iccids.length, failures });
        for (let i = 0; i < iccids.length; i++) {
          const sim = rows.find((r) => r.iccid === iccids[i]);
          const body = choice === 'tags' ? { tags: { ...(sim?.tags ?? {}), ...tags } } : { groupId: groupChoice === 'none' ? null : groupChoice };
          await api.patch(`/v1/sims/${iccids[i]}`, body).catch((e: unknown) => failures.push({ iccid: iccids[i], reason: asProblem(e).detail }));
          setPatchProgress({ done: i + 1, total: iccids.length, failures });
        }
        void client.invalidateQueries({ queryKey: ['sims'] });
        return null;
      }
      return api.post<Job>('/v1/sims/bulk', {
        action: choice,
        ...(allMatching ? { filter: apiFilter } : { iccids: [...selected] }),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
    },
    onSuccess: (created) => {
      setConfirming(false);
      if (created) setJob(created);
      setSelected(new Set());
      setAllMatching(false);
    },
    onError: () => setConfirming(false),
  });

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtual.getVirtualItems();
  useEffect(() => {
    const last = items[items.length - 1];
    if (last && last.index >= rows.length - 20 && list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
  }, [items, rows.length, list]);

  const sortBy = (column: Column) => {
    if (!column.sort) return;
    set({ sort: filters.sort === column.sort ? `-${column.sort}` : column.sort });
  };
  const sortState = (column: Column): 'ascending' | 'descending' | undefined =>
    filters.sort === column.sort ? 'ascending' : filters.sort === `-${column.sort}` ? 'descending' : undefined;
  const pageSelected = rows.length > 0 && rows.every((r) => selected.has(r.iccid));
  const actionWord = choice === 'tags' ? 'Tag' : choice === 'group' ? 'Move' : label(choice);

  return (
    <>
      <PageHeader
        title="SIMs"
        subtitle={total.data ? `${count(total.data.count)} SIM${total.data.count === 1 ? '' : 's'} match` : 'Counting…'}
        actions={
          <>
            <ColumnChooser visible={visible} setVisible={setVisible} />
            <CsvExport apiFilter={apiFilter} columns={columns} total={total.data?.count} />
          </>
        }
      />
      <FiltersForm filters={filters} set={set} groups={groups.data?.data ?? []} />
      {identity.canWrite && (selected.size > 0 || allMatching) ? (
        <div className="bulk-bar" role="region" aria-label="Bulk action">
          <strong>{count(selectionCount)} selected</strong>
          {!allMatching && total.data && total.data.count > selected.size ? (
            <button type="button" className="link" onClick={() => setAllMatching(true)}>
              Select all {count(total.data.count)} matching
            </button>
          ) : null}
          <Field label="Action">
            {(p) => (
              <select {...p} value={choice} onChange={(e) => setChoice(e.target.value as BulkChoice)}>
                {(['activate', 'suspend', 'resume', 'terminate'] as const).map((a) => (
                  <option key={a} value={a}>
                    {label(a)}
                  </option>
                ))}
                {!allMatching ? <option value="tags">Add tags</option> : null}
                {!allMatching ? <option value="group">Move to group</option> : null}
              </select>
            )}
          </Field>
          {choice === 'tags' ? (
            <Field label="Tags" hint="key:value …">
              {(p) => <input {...p} value={tagText} onChange={(e) => setTagText(e.target.value)} />}
            </Field>
          ) : choice === 'group' ? (
            <Field label="Group">
              {(p) => (
                <select {...p} value={groupChoice} onChange={(e) => setGroupChoice(e.target.value)}>
                  <option value="">Choose…</option>
                  <option value="none">No group</option>
                  {(groups.data?.data ?? []).map((g) => (
                    <option key={g.id} value={g.id}>
                      {g.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : (
            <Field label="Reason (optional)">{(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} />}</Field>
          )}
          <button type="button" className={choice === 'terminate' ? 'danger' : ''} onClick={() => setConfirming(true)}>
            {actionWord} {count(selectionCount)} SIM{selectionCount === 1 ? '' : 's'}…
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setSelected(new Set());
              setAllMatching(false);
            }}
          >
            Clear selection
          </button>
        </div>
      ) : null}
      <ConfirmDialog
        open={confirming}
        title={`${actionWord} ${count(selectionCount)} SIM${selectionCount === 1 ? '' : 's'}?`}
        confirmLabel={`${actionWord} ${count(selectionCount)} SIM${selectionCount === 1 ? '' : 's'}`}
        danger={choice === 'terminate'}
        busy={bulk.isPending}
        onConfirm={() => bulk.mutate()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          {choice === 'terminate' ? 'Termination is final: the SIMs can never connect again. ' : ''}
          {allMatching ? 'Every SIM matching the current filters at the moment the job starts is included. ' : ''}
          You can follow the job’s progress here.
        </p>
      </ConfirmDialog>
      {bulk.error ? <ErrorMessage error={bulk.error} /> : null}
      {job ? <JobProgress key={job.id} job={job} onDone={() => void client.invalidateQueries({ queryKey: ['sims'] })} /> : null}
      {patchProgress ? (
        <section className="job" aria-label="Organisation change">
          <ProgressBar value={patchProgress.done} max={patchProgress.total} label="Organisation change progress" />
          <p className="muted">
            {count(patchProgress.done)} of {count(patchProgress.total)} SIMs updated · {count(patchProgress.failures.length)} failed
          </p>
          {patchProgress.failures.length ? (
            <ul>
              {patchProgress.failures.map((f) => (
                <li key={f.iccid}>
                  {f.iccid}: {f.reason}
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}
      {list.error ? (
        <ErrorMessage error={list.error} retry={() => void list.refetch()} />
      ) : list.isPending ? (
        <Loading label="Loading SIMs…" />
      ) : rows.length === 0 ? (
        <Empty>
          {Object.values(apiFilter).some(Boolean) ? (
            <p>No SIM matches these filters.</p>
          ) : (
            <p>
              No SIMs yet: <Link to="/orders">order SIMs</Link>.
            </p>
          )}
        </Empty>
      ) : (
        <div className="table-scroll" ref={scroller} role="region" aria-label="SIMs" tabIndex={0}>
          <table className="data" aria-rowcount={(total.data?.count ?? rows.length) + 1}>
            <thead>
              <tr aria-rowindex={1}>
                {identity.canWrite ? (
                  <th scope="col" className="select">
                    <input
                      type="checkbox"
                      aria-label="Select the SIMs loaded"
                      checked={pageSelected}
                      onChange={(e) => {
                        setAllMatching(false);
                        setSelected(e.target.checked ? new Set(rows.map((r) => r.iccid)) : new Set());
                      }}
                    />
                  </th>
                ) : null}
                {columns.map((c) => (
                  <th key={c.id} scope="col" aria-sort={sortState(c)}>
                    {c.sort ? (
                      <button type="button" className="sort" onClick={() => sortBy(c)}>
                        {c.title}
                        <span aria-hidden="true">{sortState(c) === 'ascending' ? ' ▲' : sortState(c) === 'descending' ? ' ▼' : ''}</span>
                      </button>
                    ) : (
                      c.title
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.length && items[0].start > 0 ? (
                <tr aria-hidden="true" style={{ height: items[0].start }}>
                  <td colSpan={columns.length + 1} />
                </tr>
              ) : null}
              {items.map((item) => {
                const sim = rows[item.index];
                return (
                  <tr
                    key={sim.iccid}
                    aria-rowindex={item.index + 2}
                    style={{ height: ROW_HEIGHT }}
                    className={selected.has(sim.iccid) || allMatching ? 'selected' : ''}
                  >
                    {identity.canWrite ? (
                      <td className="select">
                        <input
                          type="checkbox"
                          aria-label={`Select ${sim.iccid}`}
                          checked={allMatching || selected.has(sim.iccid)}
                          onChange={(e) => {
                            setAllMatching(false);
                            const next = new Set(selected);
                            if (e.target.checked) next.add(sim.iccid);
                            else next.delete(sim.iccid);
                            setSelected(next);
                          }}
                        />
                      </td>
                    ) : null}
                    {columns.map((c) => (
                      <td key={c.id}>
                        {c.id === 'iccid' ? (
                          <Link to={`/sims/${sim.iccid}`}>{sim.iccid}</Link>
                        ) : c.id === 'status' ? (
                          <StatusBadge status={sim.status} />
                        ) : c.id === 'lastSeenAt' ? (
                          <span title={sim.lastSeenAt ?? ''}>{ago(sim.lastSeenAt)}</span>
                        ) : (
                          c.value(sim)
                        )}
                      </td>
                    ))}
                  </tr>
                );
              })}
              {items.length ? (
                <tr aria-hidden="true" style={{ height: virtual.getTotalSize() - items[items.length - 1].end }}>
                  <td colSpan={columns.length + 1} />
                </tr>
              ) : null}
            </tbody>
          </table>
          {list.isFetchingNextPage ? <Loading label="Loading more SIMs…" /> : null}
        </div>
      )}
    </>
  );
}
