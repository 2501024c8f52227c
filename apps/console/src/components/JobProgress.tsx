import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { useLiveEvents } from '../api/live';
import type { Job } from '../api/types';
import { count } from '../format';
import { ProgressBar } from './ui';

interface Progress {
  processed: number;
  succeeded: number;
  failed: number;
  total: number;
  status: Job['status'];
}

/** A bulk job's progress bar, fed by its job.progress / job.completed events, then its failures SIM by SIM. */
export function JobProgress({ job, onDone }: { job: Job; onDone?: () => void }) {
  const client = useQueryClient();
  const [live, setLive] = useState<Progress | null>(null);
  // The job as stored: the start, and the truth after a reconnect (events may have passed before we listened).
  const stored = useQuery({
    queryKey: ['jobs', job.id],
    queryFn: ({ signal }) => api.get<Job>(`/v1/jobs/${job.id}`, { signal }),
    initialData: job,
    refetchInterval: (q) => (q.state.data?.status === 'completed' || q.state.data?.status === 'failed' ? false : 10_000),
  });
  useLiveEvents<{ processed?: number; succeeded: number; failed: number; total: number }>({ types: ['job.*'], subjects: [job.id] }, (event) => {
    const d = event.data;
    if (event.type === 'job.progress')
      setLive((p) => (p && p.processed >= (d.processed ?? 0) ? p : { ...d, processed: d.processed ?? 0, status: 'running' }));
    if (event.type === 'job.completed' || event.type === 'job.failed') {
      void client.invalidateQueries({ queryKey: ['jobs', job.id] });
      onDone?.();
    }
  });
  const s = stored.data;
  const current: Progress = live && live.processed > s.processed && s.status !== 'completed' ? live : s;
  const done = s.status === 'completed' || s.status === 'failed';
  return (
    <section className="job" aria-label={`Bulk ${job.action}`}>
      <h3>
        Bulk {job.action}: {done ? (s.status === 'completed' ? 'done' : 'failed') : 'in progress'}
      </h3>
      <ProgressBar
        value={done && s.status === 'completed' ? current.total : current.processed}
        max={current.total}
        label={`Bulk ${job.action} progress`}
      />
      <p className="muted" aria-live="polite">
        {count(current.processed)} of {count(current.total)} SIMs processed · {count(current.succeeded)} succeeded · {count(current.failed)} failed
      </p>
      {s.error ? (
        <p className="error" role="alert">
          {s.error}
        </p>
      ) : null}
      {done && s.failures?.length ? (
        <details open>
          <summary>
            {count(s.failed)} SIM{s.failed === 1 ? '' : 's'} failed{s.failures.length < s.failed ? ` (first ${count(s.failures.length)} listed)` : ''}
          </summary>
          <table>
            <thead>
              <tr>
                <th scope="col">ICCID</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {s.failures.slice(0, 200).map((f) => (
                <tr key={f.iccid}>
                  <td>
                    <Link to={`/sims/${f.iccid}`}>{f.iccid}</Link>
                  </td>
                  <td>{f.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </section>
  );
}
