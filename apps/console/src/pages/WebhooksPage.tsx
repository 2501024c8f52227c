import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, path, type Page } from '../api/client';
import { asProblem } from '../api/problem';
import type { Delivery, Webhook } from '../api/types';
import { Card, ConfirmDialog, ErrorMessage, Field, MoreButton, PageHeader, QueryView, Secret, StatusBadge } from '../components/ui';
import { dateTime } from '../format';
import { useSession } from '../session';

function CreateWebhook() {
  const client = useQueryClient();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('alert.* sim.*');
  const [description, setDescription] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api.post<Webhook>('/v1/webhooks', { url: url.trim(), events: events.split(/[\s,]+/).filter(Boolean), description: description.trim() || null }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['webhooks'] }),
  });
  const problem = create.error ? asProblem(create.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} className="form-grid" aria-label="New webhook" noValidate>
      <Field label="URL" error={problem?.forField('url')} hint="Receives signed POSTs (Standard Webhooks)">
        {(p) => <input {...p} type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/simfleet" />}
      </Field>
      <Field label="Events" error={problem?.forField('events')} hint="Types or prefixes (alert.*), or * for all">
        {(p) => <input {...p} value={events} onChange={(e) => setEvents(e.target.value)} />}
      </Field>
      <Field label="Description" error={problem?.forField('description')}>
        {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      {problem && problem.otherErrors(['url', 'events', 'description']).length + (problem.errors.length ? 0 : 1) ? (
        <ErrorMessage error={problem} />
      ) : null}
      {create.data?.secret ? <Secret label="Signing secret" value={create.data.secret} /> : null}
      <div className="actions">
        <button type="submit" disabled={create.isPending}>
          Add the webhook
        </button>
      </div>
    </form>
  );
}

export function WebhooksPage() {
  const { identity } = useSession();
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: ({ signal }) => api.get<Page<Webhook>>('/v1/webhooks?limit=100', { signal }) });
  return (
    <>
      <PageHeader title="Webhooks" subtitle="Your endpoints receive the events they subscribe to, signed, with retries." />
      {identity.canWrite ? (
        <Card title="New webhook">
          <CreateWebhook />
        </Card>
      ) : null}
      <QueryView query={hooks} isEmpty={(h) => h.data.length === 0} empty={<p>No webhook yet.</p>}>
        {(h) => (
          <div className="table-wrap">
            <table className="data" aria-label="Webhooks">
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {h.data.map((w) => (
                  <tr key={w.id}>
                    <td>
                      <Link to={`/webhooks/${w.id}`}>{w.url}</Link>
                    </td>
                    <td>{w.events.join(', ')}</td>
                    <td>
                      {w.enabled ? <StatusBadge status="enabled" /> : <StatusBadge status={`disabled ${w.disabledReason ?? ''}`} />}
                      {w.failingSince ? <span className="badge badge-warning">failing since {dateTime(w.failingSince)}</span> : null}
                    </td>
                    <td>{dateTime(w.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </>
  );
}

export function WebhookDetailPage() {
  const { id = '' } = useParams();
  const { identity } = useSession();
  const client = useQueryClient();
  const hook = useQuery({ queryKey: ['webhooks', id], queryFn: ({ signal }) => api.get<Webhook>(`/v1/webhooks/${id}`, { signal }) });
  const [status, setStatus] = useState('');
  const deliveries = useInfiniteQuery({
    queryKey: ['webhooks', id, 'deliveries', status],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<Delivery>>(path(`/v1/webhooks/${id}/deliveries`, { status, limit: 50, cursor: pageParam }), { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 5000,
  });
  const [secret, setSecret] = useState<string | null>(null);
  const [confirmRotate, setConfirmRotate] = useState(false);
  const rotate = useMutation({
    mutationFn: () => api.post<Webhook>(`/v1/webhooks/${id}/rotate-secret`),
    onSuccess: (w) => {
      setConfirmRotate(false);
      setSecret(w.secret ?? null);
      void client.invalidateQueries({ queryKey: ['webhooks', id] });
    },
  });
  const test = useMutation({
    mutationFn: () => api.post(`/v1/webhooks/${id}/test`),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['webhooks', id, 'deliveries'] }),
  });
  const redeliver = useMutation({
    mutationFn: (deliveryId: string) => api.post(`/v1/webhooks/${id}/deliveries/${deliveryId}/redeliver`),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['webhooks', id, 'deliveries'] }),
  });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => api.patch(`/v1/webhooks/${id}`, { enabled }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['webhooks', id] }),
  });
  const rows = deliveries.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <QueryView query={hook} label="Loading the webhook…">
      {(w) => (
        <>
          <PageHeader
            title={`Webhook ${w.url}`}
            subtitle={
              <>
                {w.events.join(', ')} · {w.enabled ? 'enabled' : `disabled (${w.disabledReason ?? 'manual'})`} ·{' '}
                <Link to="/webhooks">All webhooks</Link>
              </>
            }
            actions={
              identity.canWrite ? (
                <>
                  <button type="button" className="secondary" onClick={() => test.mutate()} disabled={test.isPending}>
                    Send a test event
                  </button>
                  <button type="button" className="secondary" onClick={() => setConfirmRotate(true)}>
                    Rotate the secret
                  </button>
                  <button type="button" className="secondary" onClick={() => toggle.mutate(!w.enabled)}>
                    {w.enabled ? 'Disable' : 'Enable'}
                  </button>
                </>
              ) : null
            }
          />
          {secret ? <Secret label="New signing secret" value={secret} /> : null}
          {w.previousSecretExpiresAt ? (
            <p className="muted">The previous secret also signs deliveries until {dateTime(w.previousSecretExpiresAt)}.</p>
          ) : null}
          {[test.error, rotate.error, redeliver.error, toggle.error].filter(Boolean).map((e, i) => (
            <ErrorMessage key={i} error={e} />
          ))}
          {test.isSuccess ? <p role="status">Test event queued: it appears in the log below.</p> : null}
          <Card
            title="Delivery log"
            action={
              <label>
                Status{' '}
                <select value={status} onChange={(e) => setStatus(e.target.value)}>
                  <option value="">Any</option>
                  <option value="pending">Pending</option>
                  <option value="succeeded">Succeeded</option>
                  <option value="failed">Failed</option>
                </select>
              </label>
            }
          >
            <QueryView query={deliveries} isEmpty={() => rows.length === 0} empty={<p>Nothing delivered yet.</p>}>
              {() => (
                <div className="table-wrap">
                  <table className="data" aria-label="Deliveries">
                    <thead>
                      <tr>
                        <th scope="col">Event</th>
                        <th scope="col">Status</th>
                        <th scope="col">Attempts</th>
                        <th scope="col">Next attempt</th>
                        {identity.canWrite ? <th scope="col">Actions</th> : null}
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((d) => (
                        <tr key={d.id} data-delivery={d.id}>
                          <td>
                            {d.eventType}
                            <br />
                            <code className="small">{d.eventId}</code>
                          </td>
                          <td>
                            <StatusBadge status={d.status} />
                          </td>
                          <td>
                            <ol className="attempts">
                              {d.attempts.map((a) => (
                                <li key={a.attempt} data-attempt={a.attempt}>
                                  #{a.attempt} {dateTime(a.attemptedAt)} → {a.statusCode ?? a.error ?? 'no answer'} ({a.latencyMs} ms)
                                </li>
                              ))}
                            </ol>
                          </td>
                          <td>{d.nextAttemptAt ? dateTime(d.nextAttemptAt) : '—'}</td>
                          {identity.canWrite ? (
                            <td>
                              {d.status !== 'pending' ? (
                                <button type="button" className="secondary small" onClick={() => redeliver.mutate(d.id)}>
                                  Redeliver
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
            <MoreButton
              hasMore={Boolean(deliveries.hasNextPage)}
              loading={deliveries.isFetchingNextPage}
              onClick={() => void deliveries.fetchNextPage()}
            />
          </Card>
          <ConfirmDialog
            open={confirmRotate}
            title="Rotate the signing secret?"
            confirmLabel="Rotate"
            busy={rotate.isPending}
            onConfirm={() => rotate.mutate()}
            onCancel={() => setConfirmRotate(false)}
          >
            <p>
              A new secret is shown once. The old one keeps signing alongside it for a while, so you can switch your receiver without losing a
              delivery.
            </p>
          </ConfirmDialog>
        </>
      )}
    </QueryView>
  );
}
