import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, type Page } from '../api/client';
import { useLiveInvalidate } from '../api/hooks';
import { asProblem } from '../api/problem';
import type { SupportCase } from '../api/types';
import { Card, ErrorMessage, Field, PageHeader, QueryView, StatusBadge } from '../components/ui';
import { dateTime } from '../format';
import { useSession } from '../session';

function OpenCase() {
  const client = useQueryClient();
  const [subject, setSubject] = useState('');
  const [description, setDescription] = useState('');
  const [severity, setSeverity] = useState('normal');
  const [iccids, setIccids] = useState('');
  const open = useMutation({
    mutationFn: () => api.post<SupportCase>('/v1/support-cases', { subject, description, severity, iccids: iccids.split(/[\s,]+/).filter(Boolean) }),
    onSuccess: () => {
      setSubject('');
      setDescription('');
      setIccids('');
      void client.invalidateQueries({ queryKey: ['support'] });
    },
  });
  const problem = open.error ? asProblem(open.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    open.mutate();
  };
  return (
    <form onSubmit={submit} className="form-grid" aria-label="Open a support case" noValidate>
      <Field label="Subject" error={problem?.forField('subject')}>
        {(p) => <input {...p} value={subject} onChange={(e) => setSubject(e.target.value)} />}
      </Field>
      <Field label="Severity" error={problem?.forField('severity')}>
        {(p) => (
          <select {...p} value={severity} onChange={(e) => setSeverity(e.target.value)}>
            {['low', 'normal', 'high', 'urgent'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="SIMs concerned (ICCIDs)" error={problem?.forField('iccids')}>
        {(p) => <input {...p} value={iccids} onChange={(e) => setIccids(e.target.value)} />}
      </Field>
      <Field label="Description" error={problem?.forField('description')}>
        {(p) => <textarea {...p} rows={4} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      {problem && problem.otherErrors(['subject', 'severity', 'iccids', 'description']).length + (problem.errors.length ? 0 : 1) ? (
        <ErrorMessage error={problem} />
      ) : null}
      <div className="actions">
        <button type="submit" disabled={open.isPending}>
          Open the case
        </button>
      </div>
    </form>
  );
}

export function SupportPage() {
  const { identity } = useSession();
  const cases = useQuery({ queryKey: ['support'], queryFn: ({ signal }) => api.get<Page<SupportCase>>('/v1/support-cases?limit=100', { signal }) });
  useLiveInvalidate({ types: ['support_case.*'] }, [['support']], 500);
  return (
    <>
      <PageHeader title="Support" subtitle="Cases with our support team about your SIMs." />
      {identity.canWrite ? (
        <Card title="New case">
          <OpenCase />
        </Card>
      ) : null}
      <QueryView query={cases} isEmpty={(c) => c.data.length === 0} empty={<p>No support case.</p>}>
        {(c) => (
          <div className="table-wrap">
            <table className="data" aria-label="Support cases">
              <thead>
                <tr>
                  <th scope="col">Subject</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Status</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {c.data.map((sc) => (
                  <tr key={sc.id}>
                    <td>
                      <Link to={`/support/${sc.id}`}>{sc.subject}</Link>
                    </td>
                    <td>{sc.severity}</td>
                    <td>
                      <StatusBadge status={sc.status} />
                    </td>
                    <td>{dateTime(sc.updatedAt)}</td>
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

interface Message {
  id: string;
  author: string;
  body: string;
  createdAt: string;
}

export function SupportCasePage() {
  const { id = '' } = useParams();
  const { identity } = useSession();
  const client = useQueryClient();
  const sc = useQuery({ queryKey: ['support', id], queryFn: ({ signal }) => api.get<SupportCase>(`/v1/support-cases/${id}`, { signal }) });
  const messages = useQuery({
    queryKey: ['support', id, 'messages'],
    queryFn: ({ signal }) => api.get<Page<Message>>(`/v1/support-cases/${id}/messages?limit=200`, { signal }),
  });
  useLiveInvalidate({ types: ['support_case.*'], subjects: [id] }, [['support', id]], 500);
  const [body, setBody] = useState('');
  const send = useMutation({
    mutationFn: () => api.post(`/v1/support-cases/${id}/messages`, { body }),
    onSuccess: () => {
      setBody('');
      void client.invalidateQueries({ queryKey: ['support', id] });
    },
  });
  const close = useMutation({
    mutationFn: () => api.post(`/v1/support-cases/${id}/close`),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['support', id] }),
  });
  const problem = send.error ? asProblem(send.error) : null;
  return (
    <QueryView query={sc}>
      {(c) => (
        <>
          <PageHeader
            title={c.subject}
            subtitle={
              <>
                <StatusBadge status={c.status} /> {c.severity} · SIMs {c.iccids.join(', ')} · <Link to="/support">All cases</Link>
              </>
            }
            actions={
              identity.canWrite && c.status !== 'closed' ? (
                <button type="button" className="secondary" onClick={() => close.mutate()}>
                  Close the case
                </button>
              ) : null
            }
          />
          <Card title="Conversation">
            <p className="pre">{c.description}</p>
            <QueryView query={messages}>
              {(m) => (
                <ol className="messages">
                  {m.data.map((msg) => (
                    <li key={msg.id}>
                      <strong>{msg.author}</strong> · <time dateTime={msg.createdAt}>{dateTime(msg.createdAt)}</time>
                      <p className="pre">{msg.body}</p>
                    </li>
                  ))}
                </ol>
              )}
            </QueryView>
            {identity.canWrite ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  send.mutate();
                }}
                aria-label="Reply"
                noValidate
              >
                <Field label="Your message" error={problem?.forField('body')}>
                  {(p) => <textarea {...p} rows={3} value={body} onChange={(e) => setBody(e.target.value)} />}
                </Field>
                {problem && !problem.forField('body') ? <ErrorMessage error={problem} /> : null}
                <button type="submit" disabled={send.isPending}>
                  Send
                </button>
              </form>
            ) : null}
            {close.error ? <ErrorMessage error={close.error} /> : null}
          </Card>
        </>
      )}
    </QueryView>
  );
}
