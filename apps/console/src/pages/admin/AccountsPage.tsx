import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, type Page } from '../../api/client';
import { asProblem } from '../../api/problem';
import type { Account } from '../../api/types';
import { Card, ErrorMessage, Field, PageHeader, QueryView } from '../../components/ui';
import { dateTime } from '../../format';
import { ApiKeysPanel } from '../ApiKeysPage';
import { UsersPanel } from '../UsersPage';

export function AccountsPage() {
  const client = useQueryClient();
  const accounts = useQuery({ queryKey: ['accounts'], queryFn: ({ signal }) => api.get<Page<Account>>('/v1/accounts?limit=1000', { signal }) });
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api.post<Account>('/v1/accounts', { name }),
    onSuccess: () => {
      setName('');
      void client.invalidateQueries({ queryKey: ['accounts'] });
    },
  });
  const problem = create.error ? asProblem(create.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <PageHeader title="Accounts" subtitle="The platform’s customers." />
      <Card title="New account">
        <form onSubmit={submit} className="inline-form" aria-label="New account" noValidate>
          <Field label="Name" error={problem?.forField('name')}>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <button type="submit" disabled={create.isPending}>
            Create
          </button>
        </form>
        {problem && !problem.forField('name') ? <ErrorMessage error={problem} /> : null}
      </Card>
      <QueryView query={accounts} isEmpty={(a) => a.data.length === 0} empty={<p>No account yet.</p>}>
        {(a) => (
          <div className="table-wrap">
            <table className="data" aria-label="Accounts">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Id</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {a.data.map((acc) => (
                  <tr key={acc.id}>
                    <td>
                      <Link to={`/admin/accounts/${acc.id}`}>{acc.name}</Link>
                    </td>
                    <td>
                      <code>{acc.id}</code>
                    </td>
                    <td>{dateTime(acc.createdAt)}</td>
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

export function AccountDetailPage() {
  const { id = '' } = useParams();
  const account = useQuery({ queryKey: ['accounts', id], queryFn: ({ signal }) => api.get<Account>(`/v1/accounts/${id}`, { signal }) });
  return (
    <QueryView query={account}>
      {(a) => (
        <>
          <PageHeader
            title={a.name}
            subtitle={
              <>
                <code>{a.id}</code> · created {dateTime(a.createdAt)} · <Link to="/admin/accounts">All accounts</Link>
              </>
            }
          />
          <h2>Users</h2>
          <UsersPanel base={`/v1/accounts/${a.id}/users`} canManage />
          <h2>API keys</h2>
          <ApiKeysPanel accountId={a.id} canWrite />
        </>
      )}
    </QueryView>
  );
}
