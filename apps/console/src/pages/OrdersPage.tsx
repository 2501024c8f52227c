import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, type Page } from '../api/client';
import { useLiveInvalidate } from '../api/hooks';
import { asProblem } from '../api/problem';
import type { Order } from '../api/types';
import { Card, ErrorMessage, Field, PageHeader, QueryView, StatusBadge } from '../components/ui';
import { dateTime } from '../format';
import { useSession } from '../session';

const FORM_FACTORS = ['2FF', '3FF', '4FF', 'MFF2'];

export function OrdersPage() {
  const { identity } = useSession();
  const client = useQueryClient();
  const orders = useQuery({ queryKey: ['orders'], queryFn: ({ signal }) => api.get<Page<Order>>('/v1/orders?limit=100', { signal }) });
  useLiveInvalidate({ types: ['order.*'] }, [['orders'], ['sims']], 500);
  const [quantity, setQuantity] = useState('10');
  const [formFactor, setFormFactor] = useState('MFF2');
  const place = useMutation({
    mutationFn: () => api.post<Order>('/v1/orders', { quantity: Number(quantity), formFactor }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['orders'] }),
  });
  const cancel = useMutation({
    mutationFn: (id: string) => api.post(`/v1/orders/${id}/cancel`),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['orders'] }),
  });
  const problem = place.error ? asProblem(place.error) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    place.mutate();
  };
  return (
    <>
      <PageHeader title="Orders" subtitle="Order SIMs: they arrive in your fleet as inventory, ready to activate." />
      {identity.canWrite ? (
        <Card title="Order SIMs">
          <form onSubmit={submit} className="inline-form" aria-label="Order SIMs" noValidate>
            <Field label="Quantity" error={problem?.forField('quantity')}>
              {(p) => <input {...p} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />}
            </Field>
            <Field label="Form factor" error={problem?.forField('formFactor')}>
              {(p) => (
                <select {...p} value={formFactor} onChange={(e) => setFormFactor(e.target.value)}>
                  {FORM_FACTORS.map((f) => (
                    <option key={f}>{f}</option>
                  ))}
                </select>
              )}
            </Field>
            <button type="submit" disabled={place.isPending}>
              Place the order
            </button>
          </form>
          {problem && problem.otherErrors(['quantity', 'formFactor']).length + (problem.errors.length ? 0 : 1) ? (
            <ErrorMessage error={problem} />
          ) : null}
          {place.data ? (
            <p role="status">
              Order {place.data.id} placed: {place.data.status}. Its SIMs appear under <Link to="/sims?status=inventory">SIMs</Link> once allocated.
            </p>
          ) : null}
        </Card>
      ) : null}
      {cancel.error ? <ErrorMessage error={cancel.error} /> : null}
      <QueryView query={orders} isEmpty={(o) => o.data.length === 0} empty={<p>No order yet.</p>}>
        {(o) => (
          <div className="table-wrap">
            <table className="data" aria-label="Orders">
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">SIMs</th>
                  <th scope="col">Status</th>
                  <th scope="col">Shipping</th>
                  <th scope="col">Placed</th>
                  {identity.canWrite ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {o.data.map((order) => (
                  <tr key={order.id}>
                    <td>{order.id}</td>
                    <td>
                      {order.quantity} × {order.formFactor}
                    </td>
                    <td>
                      <StatusBadge status={order.status} /> {order.statusReason ?? ''}
                    </td>
                    <td>{order.carrier ? `${order.carrier} ${order.trackingNumber ?? ''}` : '—'}</td>
                    <td>{dateTime(order.createdAt)}</td>
                    {identity.canWrite ? (
                      <td>
                        {order.status === 'pending' || order.status === 'allocated' ? (
                          <button type="button" className="secondary small" onClick={() => cancel.mutate(order.id)}>
                            Cancel
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
    </>
  );
}
