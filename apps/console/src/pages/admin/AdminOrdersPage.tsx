import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, path, type Page } from '../../api/client';
import type { Order } from '../../api/types';
import { ErrorMessage, PageHeader, QueryView, StatusBadge } from '../../components/ui';
import { dateTime } from '../../format';

export function AdminOrdersPage() {
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? 'allocated';
  const orders = useQuery({
    queryKey: ['admin-orders', status],
    queryFn: ({ signal }) => api.get<Page<Order>>(path('/v1/admin/orders', { status, limit: 200 }), { signal }),
  });
  const step = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'ship' | 'deliver' }) =>
      api.post(`/v1/admin/orders/${id}/${action}`, action === 'ship' ? { carrier: 'Console' } : undefined),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['admin-orders'] }),
  });
  return (
    <>
      <PageHeader title="Orders to ship and deliver" subtitle="The logistics steps after allocation." />
      <div className="toolbar">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setParams({ status: e.target.value }, { replace: true })}>
            {['pending', 'allocated', 'shipped', 'delivered', 'cancelled'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      {step.error ? <ErrorMessage error={step.error} /> : null}
      <QueryView query={orders} isEmpty={(o) => o.data.length === 0} empty={<p>No order in this state.</p>}>
        {(o) => (
          <div className="table-wrap">
            <table className="data" aria-label="Orders">
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">Account</th>
                  <th scope="col">SIMs</th>
                  <th scope="col">Status</th>
                  <th scope="col">Placed</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {o.data.map((order) => (
                  <tr key={order.id}>
                    <td>{order.id}</td>
                    <td>{order.accountId}</td>
                    <td>
                      {order.quantity} × {order.formFactor}
                    </td>
                    <td>
                      <StatusBadge status={order.status} />
                    </td>
                    <td>{dateTime(order.createdAt)}</td>
                    <td>
                      {order.status === 'allocated' ? (
                        <button type="button" className="secondary small" onClick={() => step.mutate({ id: order.id, action: 'ship' })}>
                          Mark shipped
                        </button>
                      ) : null}
                      {order.status === 'shipped' ? (
                        <button type="button" className="secondary small" onClick={() => step.mutate({ id: order.id, action: 'deliver' })}>
                          Mark delivered
                        </button>
                      ) : null}
                    </td>
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
