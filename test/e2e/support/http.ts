import { contractOf } from './contract.js';
import { recordHandedOutSecrets } from './secrets.js';

/**
 * A small client over real HTTP (fetch): each call returns the status, headers and parsed body. Every
 * response is checked against the platform's OpenAPI document (status, media type, body schema): drift
 * fails the test that met it, naming the operation and the check. Secrets the API hands out are noted
 * (support/secrets.ts) so that a suite can look for them at rest.
 */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly key?: string,
  ) {}

  withKey(key: string): ApiClient {
    return new ApiClient(this.baseUrl, key);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.key ? { authorization: `Bearer ${this.key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return checkedResponse<T>(this.baseUrl, method, path, response, typeof body === 'string' ? undefined : body);
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/**
 * Reads a response of the API as every client of the tests must: checked against the OpenAPI document
 * (drift throws, naming the operation and the check), and with the secrets of a success noted — those it
 * hands out, its cookies, and those the request sent (`sent`) — for the look at rest when the platform stops.
 */
export async function checkedResponse<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  response: Response,
  sent?: unknown,
): Promise<ApiResponse<T>> {
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const contract = await contractOf(baseUrl);
  const drift = contract?.check(method, path, response.status, response.headers.get('content-type'), text) ?? [];
  if (drift.length) throw new Error(`The response breaks the OpenAPI document:\n  ${drift.join('\n  ')}\nbody: ${text.slice(0, 500)}`);
  const parsed = (type.includes('json') && text ? JSON.parse(text) : text) as T;
  if (response.status < 300) recordHandedOutSecrets(parsed, response.headers, sent);
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
