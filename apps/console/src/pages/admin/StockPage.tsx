import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, type Page } from '../../api/client';
import { asProblem } from '../../api/problem';
import type { Sim } from '../../api/types';
import { Card, ErrorMessage, Field, PageHeader, QueryView } from '../../components/ui';
import { count, dateTime } from '../../format';

export function StockPage() {
  const client = useQueryClient();
  const stock = useQuery({
    queryKey: ['stock'],
    queryFn: ({ signal }) =>
      api.get<Page<Sim> & { available: Array<{ formFactor: string | null; available: number }> }>('/v1/stock?limit=50', { signal }),
  });
  const [quantity, setQuantity] = useState('100');
  const [formFactor, setFormFactor] = useState('MFF2');
  const add = useMutation({
    mutationFn: () => api.post<{ created: number }>('/v1/stock', { count: Number(quantity), formFactor }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['stock'] }),
  });
  const problem = add.error ? asProblem(add.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <>
      <PageHeader title="Stock" subtitle="SIMs not yet allocated to an account." />
      <Card title="Generate SIMs">
        <form onSubmit={submit} className="inline-form" aria-label="Generate SIMs" noValidate>
          <Field label="Count" error={problem?.forField('count')}>
            {(p) => <input {...p} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />}
          </Field>
          <Field label="Form factor" error={problem?.forField('formFactor')}>
            {(p) => (
              <select {...p} value={formFactor} onChange={(e) => setFormFactor(e.target.value)}>
                {['2FF', '3FF', '4FF', 'MFF2'].map((f) => (
                  <option key={f}>{f}</option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit" disabled={add.isPending}>
            Generate
          </button>
        </form>
        {problem && !problem.forField('count') && !problem.forField('formFactor') ? <ErrorMessage error={problem} /> : null}
        {add.data ? <p role="status">{count(add.data.created)} SIMs added to stock.</p> : null}
      </Card>
      <QueryView query={stock}>
        {(s) => (
          <>
            <div className="stats">
              {s.available.map((a) => (
                <div key={a.formFactor ?? 'none'} className="stat">
                  <span className="stat-label">{a.formFactor ?? 'Unknown form factor'}</span>
                  <span className="stat-value">{count(a.available)}</span>
                </div>
              ))}
            </div>
            <div className="table-wrap">
              <table className="data" aria-label="SIMs in stock">
                <thead>
                  <tr>
                    <th scope="col">ICCID</th>
                    <th scope="col">IMSI</th>
                    <th scope="col">MSISDN</th>
                    <th scope="col">Form factor</th>
                    <th scope="col">Added</th>
                  </tr>
                </thead>
                <tbody>
                  {s.data.map((sim) => (
                    <tr key={sim.iccid}>
                      <td>{sim.iccid}</td>
                      <td>{sim.imsi}</td>
                      <td>{sim.msisdn ?? '—'}</td>
                      <td>{sim.formFactor ?? '—'}</td>
                      <td>{dateTime(sim.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </QueryView>
    </>
  );
}
