import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { can } from '../api/auth';
import { api } from '../api/client';
import { asProblem } from '../api/problem';
import type { ApiKey } from '../api/types';
import { Card, ConfirmDialog, ErrorMessage, Field, PageHeader, QueryView, Secret } from '../components/ui';
import { dateTime } from '../format';
import { useSession } from '../session';

const ACCOUNT_SCOPES = ['read', 'write', 'mqtt', 'keys', 'audit', 'users'] as const;

/** An account's API keys (also the admin's view of one account, with `accountId`). `grantable`: the scopes a new key may get (one's own). */
export function ApiKeysPanel({
  accountId,
  canWrite,
  grantable = ACCOUNT_SCOPES,
}: {
  accountId: string;
  canWrite: boolean;
  grantable?: readonly string[];
}) {
  const client = useQueryClient();
  const keys = useQuery({
    queryKey: ['api-keys', accountId],
    queryFn: ({ signal }) => api.get<{ data: ApiKey[] }>(`/v1/accounts/${accountId}/api-keys`, { signal }),
  });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['read']);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const create = useMutation({
    mutationFn: () => api.post<ApiKey>(`/v1/accounts/${accountId}/api-keys`, { name: name.trim(), scopes }),
    onSuccess: () => {
      setName('');
      void client.invalidateQueries({ queryKey: ['api-keys', accountId] });
    },
  });
  const revoke = useMutation({
    mutationFn: (key: ApiKey) => api.delete(`/v1/accounts/${accountId}/api-keys/${key.id}`),
    onSuccess: () => {
      setRevoking(null);
      void client.invalidateQueries({ queryKey: ['api-keys', accountId] });
    },
  });
  const problem = create.error ? asProblem(create.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      {canWrite ? (
        <Card title="New API key">
          <form onSubmit={submit} className="inline-form" aria-label="New API key" noValidate>
            <Field label="Name" error={problem?.forField('name')}>
              {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <fieldset className="checks">
              <legend>Scopes</legend>
              {grantable.map((s) => (
                <label key={s} className="check">
                  <input
                    type="checkbox"
                    checked={scopes.includes(s)}
                    onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
                  />{' '}
                  {s}
                </label>
              ))}
              {problem?.forField('scopes') ? <small className="field-error">{problem.forField('scopes')}</small> : null}
            </fieldset>
            <button type="submit" disabled={create.isPending}>
              Create the key
            </button>
          </form>
          {problem && !problem.forField('name') && !problem.forField('scopes') ? <ErrorMessage error={problem} /> : null}
          {create.data?.key ? <Secret label={`API key “${create.data.name}”`} value={create.data.key} /> : null}
        </Card>
      ) : null}
      {revoke.error ? <ErrorMessage error={revoke.error} /> : null}
      <QueryView query={keys} isEmpty={(k) => k.data.length === 0} empty={<p>No API key.</p>}>
        {(k) => (
          <div className="table-wrap">
            <table className="data" aria-label="API keys">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Id</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  {canWrite ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {k.data.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.id}</code>
                    </td>
                    <td>{key.scopes.join(', ')}</td>
                    <td>{dateTime(key.createdAt)}</td>
                    <td>{key.lastUsedAt ? dateTime(key.lastUsedAt) : 'never'}</td>
                    {canWrite ? (
                      <td>
                        <button type="button" className="secondary small" onClick={() => setRevoking(key)}>
                          Revoke
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the key “${revoking?.name ?? ''}”?`}
        confirmLabel="Revoke"
        danger
        busy={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking)}
        onCancel={() => setRevoking(null)}
      >
        <p>Anything using it is refused from now on. This cannot be undone.</p>
      </ConfirmDialog>
    </>
  );
}

export function ApiKeysPage() {
  const { identity } = useSession();
  return (
    <>
      <PageHeader title="API keys" subtitle="Keys for your systems. A key is shown once, at creation." />
      {identity.accountId ? (
        <ApiKeysPanel
          accountId={identity.accountId}
          canWrite={can(identity, 'keys')}
          grantable={ACCOUNT_SCOPES.filter((scope) => can(identity, scope))}
        />
      ) : (
        <p>No account.</p>
      )}
    </>
  );
}
