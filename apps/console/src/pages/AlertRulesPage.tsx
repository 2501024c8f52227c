import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, type Page } from '../api/client';
import { asProblem } from '../api/problem';
import type { AlertRule } from '../api/types';
import { Card, ConfirmDialog, ErrorMessage, Field, PageHeader, QueryView } from '../components/ui';
import { label } from '../format';
import { useSession } from '../session';

/** Each rule type's parameters: the form's inputs; the API validates them (and names the field it refuses). */
const PARAMS: Record<
  string,
  Array<{ name: string; label: string; kind: 'number' | 'text' | 'select' | 'countries'; options?: string[]; hint?: string }>
> = {
  data_usage_limit: [
    { name: 'limitBytes', label: 'Limit (bytes)', kind: 'number', hint: 'Empty: the SIM’s own or its group’s monthly limit' },
    { name: 'period', label: 'Period', kind: 'select', options: ['month', 'day'] },
    { name: 'warnAtPercent', label: 'Warn at (%)', kind: 'number', hint: 'Optional first stage, 1–99' },
  ],
  imei_change: [],
  impossible_travel: [{ name: 'maxKmh', label: 'Maximum speed (km/h)', kind: 'number' }],
  usage_spike: [
    { name: 'factor', label: 'Factor above the average', kind: 'number' },
    { name: 'minHistory', label: 'Sessions of history needed', kind: 'number' },
    { name: 'per', label: 'Compare per', kind: 'select', options: ['session', 'day'] },
  ],
  new_country: [{ name: 'allowedCountries', label: 'Allowed countries', kind: 'countries', hint: 'ISO codes separated by spaces, e.g. FR DE' }],
  connection_storm: [{ name: 'maxConnectsPerHour', label: 'Connections per hour', kind: 'number' }],
  silent: [{ name: 'hours', label: 'Silent for (hours)', kind: 'number' }],
  geofence: [
    { name: 'lat', label: 'Centre latitude', kind: 'number' },
    { name: 'lon', label: 'Centre longitude', kind: 'number' },
    { name: 'radiusM', label: 'Radius (m)', kind: 'number' },
    { name: 'on', label: 'Alert on', kind: 'select', options: ['exit', 'enter'] },
  ],
};

function paramsOf(type: string, values: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of PARAMS[type] ?? []) {
    const raw = values[p.name]?.trim() ?? '';
    if (raw === '') continue;
    // Sent as typed: a value that is not a number reaches the API as text and is refused there, by name.
    out[p.name] = p.kind === 'number' ? (Number.isFinite(Number(raw)) ? Number(raw) : raw) : p.kind === 'countries' ? raw.split(/\s+/) : raw;
  }
  if (type === 'geofence' && ('lat' in out || 'lon' in out || 'radiusM' in out)) {
    const { lat, lon, radiusM, ...rest } = out;
    return { ...rest, circle: { lat, lon, radiusM } };
  }
  return out;
}

function RuleForm({ onCreated }: { onCreated: () => void }) {
  const [type, setType] = useState('data_usage_limit');
  const [name, setName] = useState('');
  const [scopeKind, setScopeKind] = useState<'account' | 'iccid' | 'groupId' | 'tag'>('account');
  const [scopeValue, setScopeValue] = useState('');
  const [severity, setSeverity] = useState('warning');
  const [action, setAction] = useState('notify');
  const [values, setValues] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: () =>
      api.post<AlertRule>('/v1/alert-rules', {
        type,
        ...(name.trim() ? { name: name.trim() } : {}),
        scope: scopeKind === 'account' ? {} : { [scopeKind]: scopeValue.trim() },
        severity,
        action,
        params: paramsOf(type, values),
      }),
    onSuccess: () => {
      setValues({});
      setName('');
      onCreated();
    },
  });
  const problem = create.error ? asProblem(create.error) : null;
  const paramError = (n: string) => problem?.forField(`params/${n}`) ?? (type === 'geofence' ? problem?.forField(`params/circle/${n}`) : undefined);
  const shown = [
    'type',
    'name',
    'scope',
    'severity',
    'action',
    ...(PARAMS[type] ?? []).map((p) => `params/${p.name}`),
    ...(type === 'geofence' ? ['params/circle'] : []),
  ];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} className="form-grid" aria-label="New alert rule" noValidate>
      <Field label="Type" error={problem?.forField('type')}>
        {(p) => (
          <select {...p} value={type} onChange={(e) => setType(e.target.value)}>
            {Object.keys(PARAMS).map((t) => (
              <option key={t} value={t}>
                {label(t)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Name" error={problem?.forField('name')}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field label="Applies to" error={problem?.forField('scope')}>
        {(p) => (
          <select {...p} value={scopeKind} onChange={(e) => setScopeKind(e.target.value as typeof scopeKind)}>
            <option value="account">Every SIM</option>
            <option value="iccid">One SIM (ICCID)</option>
            <option value="groupId">A group (id)</option>
            <option value="tag">A tag (key:value)</option>
          </select>
        )}
      </Field>
      {scopeKind !== 'account' ? (
        <Field label={scopeKind === 'iccid' ? 'ICCID' : scopeKind === 'groupId' ? 'Group id' : 'Tag'} error={problem?.forField(`scope/${scopeKind}`)}>
          {(p) => <input {...p} value={scopeValue} onChange={(e) => setScopeValue(e.target.value)} />}
        </Field>
      ) : null}
      <Field label="Severity" error={problem?.forField('severity')}>
        {(p) => (
          <select {...p} value={severity} onChange={(e) => setSeverity(e.target.value)}>
            {['info', 'warning', 'critical'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Action" error={problem?.forField('action')}>
        {(p) => (
          <select {...p} value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="notify">Notify</option>
            <option value="block">Block the SIM</option>
          </select>
        )}
      </Field>
      {(PARAMS[type] ?? []).map((param) => (
        <Field key={`${type}-${param.name}`} label={param.label} hint={param.hint} error={paramError(param.name)}>
          {(p) =>
            param.kind === 'select' ? (
              <select {...p} value={values[param.name] ?? param.options![0]} onChange={(e) => setValues({ ...values, [param.name]: e.target.value })}>
                {param.options!.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            ) : (
              <input
                {...p}
                inputMode={param.kind === 'number' ? 'decimal' : undefined}
                value={values[param.name] ?? ''}
                onChange={(e) => setValues({ ...values, [param.name]: e.target.value })}
              />
            )
          }
        </Field>
      ))}
      {problem && (problem.otherErrors(shown).length || !problem.errors.length) ? <ErrorMessage error={problem} /> : null}
      {problem ? (
        <p className="error-summary" role="alert">
          {problem.title}: {problem.detail}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" disabled={create.isPending}>
          Create the rule
        </button>
      </div>
    </form>
  );
}

export function AlertRulesPage() {
  const { identity } = useSession();
  const client = useQueryClient();
  const rules = useQuery({ queryKey: ['alert-rules'], queryFn: ({ signal }) => api.get<Page<AlertRule>>('/v1/alert-rules?limit=200', { signal }) });
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const toggle = useMutation({
    mutationFn: (rule: AlertRule) => api.patch(`/v1/alert-rules/${rule.id}`, { enabled: !rule.enabled }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['alert-rules'] }),
  });
  const remove = useMutation({
    mutationFn: (rule: AlertRule) => api.delete(`/v1/alert-rules/${rule.id}`),
    onSuccess: () => {
      setDeleting(null);
      void client.invalidateQueries({ queryKey: ['alert-rules'] });
    },
  });
  return (
    <>
      <PageHeader title="Alert rules" subtitle="What raises an alert, for which SIMs, and whether it blocks them." />
      {identity.canWrite ? (
        <Card title="New rule">
          <RuleForm onCreated={() => void client.invalidateQueries({ queryKey: ['alert-rules'] })} />
        </Card>
      ) : null}
      {toggle.error || remove.error ? <ErrorMessage error={toggle.error ?? remove.error} /> : null}
      <QueryView query={rules} isEmpty={(r) => r.data.length === 0} empty={<p>No rules yet: create one above.</p>}>
        {(r) => (
          <div className="table-wrap">
            <table className="data" aria-label="Alert rules">
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Type</th>
                  <th scope="col">Applies to</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Action</th>
                  <th scope="col">Parameters</th>
                  <th scope="col">Enabled</th>
                  {identity.canWrite ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {r.data.map((rule) => (
                  <tr key={rule.id}>
                    <td>{rule.name ?? rule.id}</td>
                    <td>{label(rule.type)}</td>
                    <td>{Object.keys(rule.scope).length ? Object.entries(rule.scope).map(([k, v]) => `${k} ${v}`) : 'every SIM'}</td>
                    <td>
                      <span className={`badge badge-${rule.severity}`}>{rule.severity}</span>
                    </td>
                    <td>{rule.action}</td>
                    <td className="details">{JSON.stringify(rule.params)}</td>
                    <td>{rule.enabled ? 'yes' : 'no'}</td>
                    {identity.canWrite ? (
                      <td className="actions">
                        <button type="button" className="secondary small" onClick={() => toggle.mutate(rule)}>
                          {rule.enabled ? 'Disable' : 'Enable'}
                        </button>
                        <button type="button" className="secondary small" onClick={() => setDeleting(rule)}>
                          Delete
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
        open={deleting !== null}
        title={`Delete the rule ${deleting?.name ?? deleting?.id ?? ''}?`}
        confirmLabel="Delete"
        danger
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onCancel={() => setDeleting(null)}
      >
        <p>Its open alerts are resolved, and blocks it placed are lifted.</p>
      </ConfirmDialog>
    </>
  );
}
