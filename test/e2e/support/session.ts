import { totpAt } from '@simfleet/auth';
import { checkedResponse, type ApiClient, type ApiResponse } from './http.js';

/**
 * A browser-like client: the session cookie of a sign-in, sent back on every request, with the CSRF token
 * and the API's own Origin on writes (as the console sends them).
 */
export class SessionClient {
  constructor(
    readonly baseUrl: string,
    public cookie: string,
    public csrfToken: string,
    readonly user: any,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const write = !['GET', 'HEAD', 'OPTIONS'].includes(method);
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        cookie: `simfleet_session=${this.cookie}`,
        ...(write ? { 'x-csrf-token': this.csrfToken, origin: this.baseUrl } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return checkedResponse<T>(this.baseUrl, method, path, response, body);
  }
  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, body, headers);
  }
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', path, body, headers);
  }
  delete<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, body, headers);
  }
}

/** The session cookie a response set, if any. */
export function sessionCookieOf(response: ApiResponse): { value: string; attributes: string } | undefined {
  const header = response.headers.getSetCookie().find((c) => c.startsWith('simfleet_session='));
  if (!header) return undefined;
  const [pair, ...attributes] = header.split(';');
  return { value: pair.slice('simfleet_session='.length), attributes: attributes.map((a) => a.trim()).join('; ') };
}

export async function signIn(baseUrl: string, email: string, password: string, code?: string): Promise<ApiResponse & { client?: SessionClient }> {
  const sent = { email, password, ...(code ? { code } : {}) };
  const response = await fetch(`${baseUrl}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify(sent),
  });
  const result: ApiResponse & { client?: SessionClient } = await checkedResponse(baseUrl, 'POST', '/v1/sessions', response, sent);
  const cookie = sessionCookieOf(result);
  if (response.status === 201 && cookie) result.client = new SessionClient(baseUrl, cookie.value, result.body.csrfToken, result.body.user);
  return result;
}

export const PASSWORD = 'correct horse battery staple';

/** Someone with `users` (an owner's session, the admin key) invites a person, who accepts: their signed-in client. */
export async function inviteAndAccept(
  inviter: ApiClient | SessionClient,
  accountId: string | null,
  email: string,
  role: string,
  password = PASSWORD,
): Promise<SessionClient> {
  const path = accountId ? `/v1/accounts/${accountId}/users` : '/v1/admin/users';
  const invited = await inviter.post(path, accountId ? { email, role } : { email });
  if (invited.status !== 201) throw new Error(`invite failed: ${invited.status} ${JSON.stringify(invited.body)}`);
  const sent = { token: invited.body.invite.token, password };
  const accepted = await checkedResponse(
    inviter.baseUrl,
    'POST',
    '/v1/invites/accept',
    await fetch(`${inviter.baseUrl}/v1/invites/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: inviter.baseUrl },
      body: JSON.stringify(sent),
    }),
    sent,
  );
  if (accepted.status !== 201) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return new SessionClient(inviter.baseUrl, sessionCookieOf(accepted)!.value, accepted.body.csrfToken, accepted.body.user);
}

/** The current TOTP code of a secret at a platform instant. */
export const codeAt = (secret: string, at: Date): string => totpAt(secret, at.getTime());
