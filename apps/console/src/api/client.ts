import { authHeaders, signedOut } from './auth';
import { ApiProblem } from './problem';

type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

/** `/v1/...` with a query string; empty and null values are left out, lists repeat the parameter. */
export function path(base: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) params.append(name, v);
    else params.append(name, String(value));
  }
  const qs = params.toString();
  return qs ? `${base}?${qs}` : base;
}

async function request<T>(method: string, url: string, body?: unknown, init: { signal?: AbortSignal; accept?: string } = {}): Promise<T> {
  const write = method !== 'GET' && method !== 'HEAD';
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    signal: init.signal,
    headers: {
      accept: init.accept ?? 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...authHeaders(write),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && !url.startsWith('/v1/sessions')) signedOut();
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { title?: string; detail?: string; errors?: ApiProblem['errors']; type?: string };
    throw new ApiProblem(response.status, problem.title ?? response.statusText, problem.detail ?? '', problem.errors ?? [], problem.type ?? '');
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

export const api = {
  get: <T>(url: string, init?: { signal?: AbortSignal; accept?: string }) => request<T>('GET', url, undefined, init),
  post: <T>(url: string, body?: unknown) => request<T>('POST', url, body),
  patch: <T>(url: string, body: unknown) => request<T>('PATCH', url, body),
  put: <T>(url: string, body: unknown) => request<T>('PUT', url, body),
  delete: <T>(url: string, body?: unknown) => request<T>('DELETE', url, body),
};

/** Saves text as a file the browser downloads. */
export function download(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
