import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useMemo, useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, path, type Page } from '../api/client';
import { useLiveEvents } from '../api/live';
import { asProblem, type ApiProblem } from '../api/problem';
import type { Diagnostics, Fix, Group, HistoryEntry, Session, Sim, SimAction, Sms, UsageBucket } from '../api/types';
import { UsageChart } from '../components/UsageChart';
import { Card, ConfirmDialog, ErrorMessage, Field, Loading, MoreButton, PageHeader, QueryView, Secret, StatusBadge } from '../components/ui';
import { ago, bytes, count, dateTime, label } from '../format';
import { useSession } from '../session';

const TrailMap = lazy(async () => ({ default: (await import('../map/TrailMap')).TrailMap }));

const RANGES = {
  '24h': { days: 1, interval: 'hour' },
  '7d': { days: 7, interval: 'day' },
  '30d': { days: 30, interval: 'day' },
  '12m': { days: 365, interval: 'month' },
} as const;
type Range = keyof typeof RANGES;

function Actions({ sim }: { sim: Sim }) {
  const client = useQueryClient();
  const [action, setAction] = useState<SimAction | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const act = useMutation({
    mutationFn: (a: SimAction) => api.post<Sim>(`/v1/sims/${sim.iccid}/${a}`),
    onSuccess: (updated) => {
      setAction(null);
      if (updated.deviceSecret) setSecret(updated.deviceSecret);
      void client.invalidateQueries({ queryKey: ['sim', sim.iccid] });
    },
    onError: () => setAction(null),
  });
  return (
    <div>
      <div className="actions">
        {sim.allowedActions.map((a) => (
          <button key={a} type="button" className={a === 'terminate' ? 'danger' : 'secondary'} onClick={() => setAction(a)}>
            {label(a)}
          </button>
        ))}
      </div>
      {act.error ? <ErrorMessage error={act.error} /> : null}
      {secret ? <Secret label="Device secret" value={secret} /> : null}
      <ConfirmDialog
        open={action !== null}
        title={`${action ? label(action) : ''} SIM ${sim.name ?? sim.iccid}?`}
        confirmLabel={action ? label(action) : ''}
        danger={action === 'terminate'}
        busy={act.isPending}
        onConfirm={() => action && act.mutate(action)}
        onCancel={() => setAction(null)}
      >
        <p>
          {action === 'terminate'
            ? 'Termination is final: the SIM can never connect again and its device credentials are destroyed.'
            : action === 'suspend'
              ? 'A connected device is disconnected at once and cannot reconnect until the SIM is resumed.'
              : action === 'activate'
                ? 'The first activation issues the device secret, shown once.'
                : 'The device may connect again.'}
        </p>
      </ConfirmDialog>
    </div>
  );
}

function EditForm({ sim, groups }: { sim: Sim; groups: Group[] }) {
  const client = useQueryClient();
  const [name, setName] = useState(sim.name ?? '');
  const [tags, setTags] = useState(
    Object.entries(sim.tags)
      .map(([k, v]) => `${k}:${v}`)
      .join(' '),
  );
  const [groupId, setGroupId] = useState(sim.groupId ?? '');
  const [labels, setLabels] = useState(sim.labels.join(', '));
  const [endUser, setEndUser] = useState(sim.endUserDevice.declared);
  const save = useMutation({
    mutationFn: () =>
      api.patch<Sim>(`/v1/sims/${sim.iccid}`, {
        name: name.trim() ? name.trim() : null,
        tags: Object.fromEntries(
          tags
            .split(/\s+/)
            .filter(Boolean)
            .map((t) => {
              const i = t.indexOf(':');
              return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1)];
            }),
        ),
        groupId: groupId || null,
        labels: labels
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean),
        endUserDevice: endUser,
      }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['sim', sim.iccid] }),
  });
  const problem = save.error ? asProblem(save.error) : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="form-grid" aria-label="Edit the SIM" noValidate>
      <Field label="Name" error={problem?.forField('name')} hint="Unique in your account; usable instead of the ICCID">
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Tags" error={problem?.forField('tags')} hint="key:value, separated by spaces">
        {(p) => <input {...p} value={tags} onChange={(e) => setTags(e.target.value)} />}
      </Field>
      <Field label="Group" error={problem?.forField('groupId')}>
        {(p) => (
          <select {...p} value={groupId} onChange={(e) => setGroupId(e.target.value)}>
            <option value="">No group</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Labels" error={problem?.forField('labels')} hint="Comma-separated">
        {(p) => <input {...p} value={labels} onChange={(e) => setLabels(e.target.value)} />}
      </Field>
      <label className="check">
        <input type="checkbox" checked={endUser} onChange={(e) => setEndUser(e.target.checked)} /> In an end user’s device (locations are personal
        data)
      </label>
      {problem && problem.otherErrors(['name', 'tags', 'groupId', 'labels']).length + (problem.errors.length ? 0 : 1) > 0 ? (
        <ErrorMessage error={problem} />
      ) : null}
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
        {save.isSuccess ? <span role="status">Saved.</span> : null}
      </div>
    </form>
  );
}

function Usage({ iccid }: { iccid: string }) {
  const [range, setRange] = useState<Range>('7d');
  const { days, interval } = RANGES[range];
  const [to] = useState(() => new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000));
  const from = new Date(to.getTime() - days * 86_400_000);
  const usage = useQuery({
    queryKey: ['sim', iccid, 'usage', range],
    queryFn: ({ signal }) =>
      api.get<{ buckets: UsageBucket[]; totals: UsageBucket }>(
        path(`/v1/sims/${iccid}/usage`, { from: from.toISOString(), to: to.toISOString(), interval }),
        { signal },
      ),
  });
  return (
    <Card
      title="Usage"
      action={
        <div className="segmented" role="group" aria-label="Usage range">
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <button key={r} type="button" aria-pressed={range === r} onClick={() => setRange(r)}>
              {r}
            </button>
          ))}
        </div>
      }
    >
      <QueryView query={usage}>
        {(u) => (
          <>
            <p>
              <strong>{bytes(u.totals.bytesTotal)}</strong> in {count(u.totals.sessions)} sessions · up {bytes(u.totals.bytesUp)} · down{' '}
              {bytes(u.totals.bytesDown)}
            </p>
            {u.buckets.length ? <UsageChart buckets={u.buckets} /> : <p className="muted">No data in this range.</p>}
          </>
        )}
      </QueryView>
    </Card>
  );
}

function Sessions({ iccid }: { iccid: string }) {
  const sessions = useInfiniteQuery({
    queryKey: ['sim', iccid, 'sessions'],
    queryFn: ({ pageParam, signal }) => api.get<Page<Session>>(path(`/v1/sims/${iccid}/sessions`, { limit: 20, cursor: pageParam }), { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = sessions.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <Card title="Sessions">
      <QueryView query={sessions} isEmpty={() => rows.length === 0} empty={<p>No data session yet.</p>}>
        {() => (
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Ended</th>
                  <th scope="col">Network</th>
                  <th scope="col">RAT</th>
                  <th scope="col">Up</th>
                  <th scope="col">Down</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((s) => (
                  <tr key={s.sessionId}>
                    <td>{dateTime(s.startedAt)}</td>
                    <td>{s.endedAt ? dateTime(s.endedAt) : <span className="badge badge-active">open</span>}</td>
                    <td>
                      {s.network ?? `${s.mcc}-${s.mnc}`} {s.country ? `(${s.country})` : ''}
                    </td>
                    <td>{s.rat}</td>
                    <td>{bytes(s.bytesUp)}</td>
                    <td>{bytes(s.bytesDown)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <MoreButton hasMore={Boolean(sessions.hasNextPage)} loading={sessions.isFetchingNextPage} onClick={() => void sessions.fetchNextPage()} />
    </Card>
  );
}

function Location({ iccid, initial }: { iccid: string; initial: Fix | null }) {
  const [days, setDays] = useState(1);
  const [to] = useState(() => new Date(Date.now() + 60_000));
  const from = new Date(to.getTime() - days * 86_400_000);
  const trail = useQuery({
    queryKey: ['sim', iccid, 'locations', days],
    queryFn: ({ signal }) =>
      api.get<Page<Fix>>(path(`/v1/sims/${iccid}/locations`, { from: from.toISOString(), to: to.toISOString(), limit: 1000 }), { signal }),
  });
  const [live, setLive] = useState<Fix | null>(initial);
  const [extra, setExtra] = useState<Fix[]>([]);
  useLiveEvents<{ lat: number; lon: number; accuracyM: number | null; source: string; at: string }>(
    { types: ['sim.location.updated'], subjects: [iccid] },
    (event) => {
      const fix: Fix = { lat: event.data.lat, lon: event.data.lon, accuracyM: event.data.accuracyM, source: event.data.source, at: event.data.at };
      setExtra((e) => [...e, fix]);
      setLive((current) => (!current || new Date(fix.at) >= new Date(current.at) ? fix : current));
    },
  );
  const points = useMemo(() => [...(trail.data?.data ?? []), ...extra].sort((a, b) => a.at.localeCompare(b.at)), [trail.data, extra]);
  return (
    <Card
      title="Location"
      action={
        <div className="segmented" role="group" aria-label="Trail range">
          {[1, 7, 30].map((d) => (
            <button key={d} type="button" aria-pressed={days === d} onClick={() => setDays(d)}>
              {d === 1 ? '24h' : `${d}d`}
            </button>
          ))}
        </div>
      }
    >
      {trail.error ? <ErrorMessage error={trail.error} /> : null}
      <Suspense fallback={<Loading label="Loading the map…" />}>
        <TrailMap trail={points} live={live} />
      </Suspense>
    </Card>
  );
}

function DiagnosticsCard({ iccid, canWrite }: { iccid: string; canWrite: boolean }) {
  const client = useQueryClient();
  const diagnostics = useQuery({
    queryKey: ['sim', iccid, 'diagnostics'],
    queryFn: ({ signal }) => api.get<Diagnostics>(`/v1/sims/${iccid}/diagnostics`, { signal }),
  });
  useLiveEvents({ types: ['sim.connected', 'sim.disconnected', 'session.*', 'sim.blocked', 'sim.unblocked'], subjects: [iccid] }, () => {
    void client.invalidateQueries({ queryKey: ['sim', iccid, 'diagnostics'] });
  });
  const test = useMutation({
    mutationFn: () => api.post<{ result: string; roundTripMs?: number; timeoutMs?: number }>(`/v1/sims/${iccid}/connectivity-test`, {}),
  });
  const reset = useMutation({ mutationFn: () => api.post<{ result: string }>(`/v1/sims/${iccid}/reset-connectivity`) });
  const [confirmReset, setConfirmReset] = useState(false);
  return (
    <Card title="Diagnostics">
      <QueryView query={diagnostics}>
        {(d) => (
          <>
            <dl className="facts">
              <dt>Connection</dt>
              <dd>
                <StatusBadge status={d.connection.state} /> since{' '}
                {d.connection.since ? `${dateTime(d.connection.since)} (${ago(d.connection.since)})` : '—'}
              </dd>
              <dt>Network</dt>
              <dd>{d.network ? `${d.network.name ?? '?'} (${d.network.mcc}-${d.network.mnc}, ${d.network.country ?? '?'})` : '—'}</dd>
              <dt>RAT</dt>
              <dd>{d.rat ?? '—'}</dd>
              <dt>Signal</dt>
              <dd>{d.signalDbm === null ? '—' : `${d.signalDbm} dBm`}</dd>
              <dt>IMEI</dt>
              <dd>
                {d.imei ?? '—'} <span className={`badge badge-${d.imeiCheck}`}>{label(d.imeiCheck)}</span>
                {d.authorizedImeis.length ? ` (authorized: ${d.authorizedImeis.join(', ')})` : ''}
              </dd>
              <dt>Firmware</dt>
              <dd>{d.firmware ?? '—'}</dd>
              <dt>Last seen</dt>
              <dd>{d.lastSeenAt ? `${dateTime(d.lastSeenAt)} (${ago(d.lastSeenAt)})` : 'never'}</dd>
              <dt>Last location</dt>
              <dd>{d.lastLocation ? `${d.lastLocation.lat.toFixed(4)}, ${d.lastLocation.lon.toFixed(4)} at ${dateTime(d.lastLocation.at)}` : '—'}</dd>
            </dl>
            {d.recentErrors.length ? (
              <details>
                <summary>{d.recentErrors.length} recent ingestion errors</summary>
                <ul>
                  {d.recentErrors.map((e) => (
                    <li key={`${e.at}-${e.code}`}>
                      {dateTime(e.at)} <code>{e.topic}</code> {e.code}: {e.message}
                    </li>
                  ))}
                </ul>
              </details>
            ) : (
              <p className="muted">No recent ingestion errors.</p>
            )}
          </>
        )}
      </QueryView>
      {canWrite ? (
        <div className="actions">
          <button type="button" className="secondary" onClick={() => test.mutate()} disabled={test.isPending}>
            {test.isPending ? 'Testing…' : 'Test connectivity'}
          </button>
          <button type="button" className="secondary" onClick={() => setConfirmReset(true)}>
            Reset connectivity
          </button>
        </div>
      ) : null}
      <div aria-live="polite" data-testid="connectivity-result">
        {test.data ? (
          test.data.result === 'answered' ? (
            <p className="ok">
              The device answered: round trip <strong>{test.data.roundTripMs} ms</strong>.
            </p>
          ) : test.data.result === 'timeout' ? (
            <p className="warn">No answer within {test.data.timeoutMs} ms.</p>
          ) : (
            <p className="warn">The device is offline: no connection to test.</p>
          )
        ) : null}
        {reset.data ? (
          <p>{reset.data.result === 'disconnected' ? 'The device was disconnected; it reconnects by itself.' : 'The device was not connected.'}</p>
        ) : null}
      </div>
      {test.error ? <ErrorMessage error={test.error} /> : null}
      {reset.error ? <ErrorMessage error={reset.error} /> : null}
      <ConfirmDialog
        open={confirmReset}
        title="Reset the device’s connection?"
        confirmLabel="Reset"
        onConfirm={() => {
          setConfirmReset(false);
          reset.mutate();
        }}
        onCancel={() => setConfirmReset(false)}
      >
        <p>The MQTT connection is closed; a healthy device reconnects within seconds.</p>
      </ConfirmDialog>
    </Card>
  );
}

function SmsCard({ iccid, canWrite }: { iccid: string; canWrite: boolean }) {
  const client = useQueryClient();
  const messages = useQuery({
    queryKey: ['sim', iccid, 'sms'],
    queryFn: ({ signal }) => api.get<Page<Sms>>(`/v1/sims/${iccid}/sms?limit=20`, { signal }),
  });
  useLiveEvents<{ iccid: string }>({ types: ['sms.*'] }, (event) => {
    if (event.data.iccid === iccid) void client.invalidateQueries({ queryKey: ['sim', iccid, 'sms'] });
  });
  const [text, setText] = useState('');
  const send = useMutation({
    mutationFn: (kind: 'sms' | 'wake-up') => api.post<Sms>(`/v1/sims/${iccid}/${kind}`, kind === 'sms' ? { text } : {}),
    onSuccess: () => {
      setText('');
      void client.invalidateQueries({ queryKey: ['sim', iccid, 'sms'] });
    },
  });
  const problem: ApiProblem | null = send.error ? asProblem(send.error) : null;
  return (
    <Card title="SMS and wake-up">
      {canWrite ? (
        <form
          className="inline-form"
          aria-label="Send an SMS"
          onSubmit={(e) => {
            e.preventDefault();
            send.mutate('sms');
          }}
          noValidate
        >
          <Field label="Message" error={problem?.forField('text')}>
            {(p) => <input {...p} value={text} onChange={(e) => setText(e.target.value)} />}
          </Field>
          <button type="submit" disabled={send.isPending}>
            Send SMS
          </button>
          <button type="button" className="secondary" onClick={() => send.mutate('wake-up')} disabled={send.isPending}>
            Send wake-up
          </button>
        </form>
      ) : null}
      {problem && !problem.forField('text') ? <ErrorMessage error={problem} /> : null}
      <QueryView query={messages} isEmpty={(m) => m.data.length === 0} empty={<p>No SMS sent to this SIM yet.</p>}>
        {(m) => (
          <ul className="plain">
            {m.data.map((s) => (
              <li key={s.id}>
                {dateTime(s.createdAt)} · {s.kind} · “{s.text}” · <StatusBadge status={s.status} />
                {s.statusReason ? ` (${s.statusReason})` : ''}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </Card>
  );
}

function History({ iccid }: { iccid: string }) {
  const history = useQuery({
    queryKey: ['sim', iccid, 'history'],
    queryFn: ({ signal }) => api.get<Page<HistoryEntry>>(`/v1/sims/${iccid}/history?limit=50`, { signal }),
  });
  return (
    <Card title="History">
      <QueryView query={history} isEmpty={(h) => h.data.length === 0} empty={<p>No lifecycle change yet.</p>}>
        {(h) => (
          <ol className="timeline">
            {h.data.map((e) => (
              <li key={e.id}>
                <time dateTime={e.at}>{dateTime(e.at)}</time> · {label(e.action)}: {e.from ?? '—'} → <StatusBadge status={e.to} /> by{' '}
                <code>{e.actor}</code>
                {e.reason ? ` — “${e.reason}”` : ''}
              </li>
            ))}
          </ol>
        )}
      </QueryView>
    </Card>
  );
}

export function SimDetailPage() {
  const { iccid = '' } = useParams();
  const { identity } = useSession();
  const client = useQueryClient();
  const [params] = useSearchParams();
  const section = params.get('tab') ?? 'overview';
  const sim = useQuery({ queryKey: ['sim', iccid], queryFn: ({ signal }) => api.get<Sim>(`/v1/sims/${iccid}`, { signal }) });
  const groups = useQuery({ queryKey: ['groups'], queryFn: ({ signal }) => api.get<Page<Group>>('/v1/groups?limit=1000', { signal }) });
  useLiveEvents(
    { types: ['sim.activated', 'sim.suspended', 'sim.resumed', 'sim.terminated', 'sim.updated', 'sim.blocked', 'sim.unblocked'], subjects: [iccid] },
    () => {
      void client.invalidateQueries({ queryKey: ['sim', iccid] });
    },
  );
  const tabs = [
    ['overview', 'Overview'],
    ['usage', 'Usage and sessions'],
    ['location', 'Location'],
    ['diagnostics', 'Diagnostics'],
    ['sms', 'SMS'],
    ['history', 'History'],
  ] as const;
  if (sim.isPending) return <Loading label="Loading the SIM…" />;
  if (sim.error) return <ErrorMessage error={sim.error} retry={() => void sim.refetch()} />;
  const s = sim.data;
  return (
    <>
      <PageHeader
        title={s.name ? `${s.name}` : `SIM ${s.iccid}`}
        subtitle={
          <>
            <StatusBadge status={s.status} />{' '}
            {s.blocks.map((b) => (
              <span key={b} className="badge badge-blocked">
                {label(b)}
              </span>
            ))}{' '}
            ICCID {s.iccid} · MSISDN {s.msisdn ?? '—'} · <Link to="/sims">All SIMs</Link>
          </>
        }
        actions={identity.canWrite ? <Actions sim={s} /> : null}
      />
      <nav className="tabs" aria-label="SIM sections">
        {tabs.map(([id, text]) => (
          <Link key={id} to={`?tab=${id}`} aria-current={section === id ? 'page' : undefined}>
            {text}
          </Link>
        ))}
      </nav>
      {section === 'overview' ? (
        <div className="grid">
          <Card title="Identity">
            <dl className="facts">
              <dt>ICCID</dt>
              <dd>{s.iccid}</dd>
              <dt>IMSI</dt>
              <dd>{s.imsi}</dd>
              <dt>MSISDN</dt>
              <dd>{s.msisdn ?? '—'}</dd>
              <dt>Form factor</dt>
              <dd>{s.formFactor ?? '—'}</dd>
              <dt>Network</dt>
              <dd>
                {s.network ?? '—'} {s.country ? `(${s.country})` : ''} {s.rat ?? ''}
              </dd>
              <dt>Last seen</dt>
              <dd>{s.lastSeenAt ? `${dateTime(s.lastSeenAt)} (${ago(s.lastSeenAt)})` : 'never'}</dd>
              <dt>Data limit</dt>
              <dd>
                {s.policy?.monthlyDataLimitBytes.value != null ? `${bytes(s.policy.monthlyDataLimitBytes.value)} a month` : 'none'}
                {s.policy && s.policy.monthlyDataLimitBytes.source !== 'none' ? ` (from the ${s.policy.monthlyDataLimitBytes.source})` : ''}
              </dd>
              <dt>Allowed countries</dt>
              <dd>{s.policy?.allowedCountries.value?.join(', ') ?? 'all'}</dd>
            </dl>
          </Card>
          {identity.canWrite ? (
            <Card title="Organisation">
              <EditForm key={s.updatedAt} sim={s} groups={groups.data?.data ?? []} />
            </Card>
          ) : null}
          <Location iccid={s.iccid} initial={s.lastLocation} />
        </div>
      ) : null}
      {section === 'usage' ? (
        <>
          <Usage iccid={s.iccid} />
          <Sessions iccid={s.iccid} />
        </>
      ) : null}
      {section === 'location' ? <Location iccid={s.iccid} initial={s.lastLocation} /> : null}
      {section === 'diagnostics' ? <DiagnosticsCard iccid={s.iccid} canWrite={identity.canWrite} /> : null}
      {section === 'sms' ? <SmsCard iccid={s.iccid} canWrite={identity.canWrite} /> : null}
      {section === 'history' ? <History iccid={s.iccid} /> : null}
    </>
  );
}
