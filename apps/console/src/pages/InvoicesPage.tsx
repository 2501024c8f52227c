import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, download, type Page } from '../api/client';
import type { Invoice } from '../api/types';
import { Card, ErrorMessage, Loading, PageHeader, QueryView, StatusBadge } from '../components/ui';
import { dateTime, money } from '../format';
import { useSession } from '../session';

export function InvoicesPage() {
  const { identity } = useSession();
  const client = useQueryClient();
  const invoices = useQuery({ queryKey: ['invoices'], queryFn: ({ signal }) => api.get<Page<Invoice>>('/v1/invoices?limit=100', { signal }) });
  const draft = useMutation({
    mutationFn: () => api.post('/v1/invoices', { period: new Date().toISOString().slice(0, 7) }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['invoices'] }),
  });
  return (
    <>
      <PageHeader
        title="Invoices"
        subtitle="Drafts follow your usage until the month closes; finalized invoices never change."
        actions={
          identity.canWrite ? (
            <button type="button" className="secondary" onClick={() => draft.mutate()} disabled={draft.isPending}>
              {identity.kind === 'admin' ? 'Draft this month for every account' : 'Draft this month'}
            </button>
          ) : null
        }
      />
      {draft.error ? <ErrorMessage error={draft.error} /> : null}
      <QueryView query={invoices} isEmpty={(i) => i.data.length === 0} empty={<p>No invoice yet.</p>}>
        {(i) => (
          <div className="table-wrap">
            <table className="data" aria-label="Invoices">
              <thead>
                <tr>
                  <th scope="col">Invoice</th>
                  {identity.kind === 'admin' ? <th scope="col">Account</th> : null}
                  <th scope="col">Period</th>
                  <th scope="col">Status</th>
                  <th scope="col">Total</th>
                  <th scope="col">Built</th>
                </tr>
              </thead>
              <tbody>
                {i.data.map((inv) => (
                  <tr key={inv.id}>
                    <td>
                      <Link to={`/invoices/${inv.id}`}>{inv.id}</Link>
                    </td>
                    {identity.kind === 'admin' ? <td>{inv.accountId}</td> : null}
                    <td>{inv.period.id}</td>
                    <td>
                      <StatusBadge status={inv.status} />
                    </td>
                    <td className="num">{money(inv.total, inv.currency)}</td>
                    <td>{dateTime(inv.generatedAt)}</td>
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

function LineUsage({ invoiceId, n }: { invoiceId: string; n: number }) {
  const usage = useQuery({
    queryKey: ['invoices', invoiceId, 'lines', n],
    queryFn: ({ signal }) => api.get<Page<Record<string, unknown>>>(`/v1/invoices/${invoiceId}/lines/${n}/usage?limit=100`, { signal }),
  });
  return (
    <QueryView query={usage} isEmpty={(u) => u.data.length === 0} empty={<p>No usage recorded behind this line.</p>}>
      {(u) => {
        const columns = [...new Set(u.data.flatMap((row) => Object.keys(row)))].slice(0, 8);
        return (
          <div className="table-wrap">
            <table className="data small" aria-label={`Usage behind line ${n + 1}`}>
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th key={c} scope="col">
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {u.data.map((row, i) => (
                  <tr key={i}>
                    {columns.map((c) => (
                      <td key={c}>{typeof row[c] === 'object' && row[c] !== null ? JSON.stringify(row[c]) : String(row[c] ?? '')}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            {u.nextCursor ? <p className="muted small">First 100 rows shown.</p> : null}
          </div>
        );
      }}
    </QueryView>
  );
}

export function InvoiceDetailPage() {
  const { id = '' } = useParams();
  const invoice = useQuery({ queryKey: ['invoices', id], queryFn: ({ signal }) => api.get<Invoice>(`/v1/invoices/${id}`, { signal }) });
  const [open, setOpen] = useState<number | null>(null);
  const [csvError, setCsvError] = useState<unknown>(null);
  const csv = async (inv: Invoice) => {
    try {
      setCsvError(null);
      download(`${inv.id}-${inv.period.id}.csv`, await api.get<string>(`/v1/invoices/${inv.id}`, { accept: 'text/csv' }));
    } catch (e) {
      setCsvError(e);
    }
  };
  if (invoice.isPending) return <Loading label="Loading the invoice…" />;
  if (invoice.error) return <ErrorMessage error={invoice.error} retry={() => void invoice.refetch()} />;
  const inv = invoice.data;
  return (
    <>
      <PageHeader
        title={`Invoice ${inv.period.id}`}
        subtitle={
          <>
            <StatusBadge status={inv.status} /> {inv.id} · built {dateTime(inv.generatedAt)}
            {inv.finalizedAt ? ` · finalized ${dateTime(inv.finalizedAt)}` : ''} · <Link to="..">All invoices</Link>
          </>
        }
        actions={
          <button type="button" className="secondary" onClick={() => void csv(inv)}>
            Download CSV
          </button>
        }
      />
      {csvError ? <ErrorMessage error={csvError} /> : null}
      <Card title="Lines">
        <div className="table-wrap">
          <table className="data" aria-label="Invoice lines">
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Description</th>
                <th scope="col">Quantity</th>
                <th scope="col">Unit price</th>
                <th scope="col">Amount</th>
                <th scope="col">Usage</th>
              </tr>
            </thead>
            <tbody>
              {inv.lines.map((line, n) => (
                <tr key={n}>
                  <td>{line.product}</td>
                  <td>
                    {line.description}
                    {line.adjusts ? <span className="badge badge-warning">adjusts {line.adjusts}</span> : null}
                  </td>
                  <td className="num">
                    {line.quantity} {line.unit}
                  </td>
                  <td className="num">{money(line.unitPrice)}</td>
                  <td className="num">{money(line.amount, inv.currency)}</td>
                  <td>
                    <button type="button" className="link" aria-expanded={open === n} onClick={() => setOpen(open === n ? null : n)}>
                      {open === n ? 'Hide' : 'Show'} usage
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              {inv.subtotals.map((s) => (
                <tr key={s.product}>
                  <th scope="row" colSpan={4}>
                    Subtotal {s.product}
                  </th>
                  <td className="num">{money(s.amount, inv.currency)}</td>
                  <td />
                </tr>
              ))}
              <tr className="total">
                <th scope="row" colSpan={4}>
                  Total
                </th>
                <td className="num" data-testid="invoice-total">
                  {money(inv.total, inv.currency)}
                </td>
                <td />
              </tr>
            </tfoot>
          </table>
        </div>
        {inv.lines.length === 0 ? <p className="muted">No charge in this period.</p> : null}
      </Card>
      {open !== null ? (
        <Card title={`Usage behind line ${open + 1}: ${inv.lines[open]?.description ?? ''}`}>
          <LineUsage invoiceId={inv.id} n={open} />
        </Card>
      ) : null}
    </>
  );
}
