import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { ApiClient } from './support/http.js';
import { createAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { PASSWORD, SessionClient, sessionCookieOf, signIn } from './support/session.js';

interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on a loopback port, keeping what it receives; it refuses recipients at `refused.example`. */
async function startSmtpServer(): Promise<{ port: number; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      callback(address.address.endsWith('@refused.example') ? Object.assign(new Error('no such mailbox'), { responseCode: 550 }) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The body of a mail, unfolded from quoted-printable soft breaks. */
const bodyOf = (mail: ReceivedMail) =>
  mail.raw
    .split(/\r?\n\r?\n/)
    .slice(1)
    .join('\n')
    .replace(/=\r?\n/g, '')
    .replace(/=3D/g, '=');

const PUBLIC_URL = 'https://fleet.example.com';

describe.each(SHAPES)('identity e-mail through a real SMTP server, PUBLIC_URL links and Secure cookies (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let admin: ApiClient;
  let anonymous: ApiClient;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, {
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      SMTP_FROM: 'Fleet <fleet@example.com>',
      PUBLIC_URL,
      COOKIE_SECURE: 'true',
    });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    anonymous = new ApiClient(platform.url);
  });
  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
    await smtp?.close();
  });

  it('e-mails the invite link; the link from the mail signs the person in, once', async () => {
    const account = await createAccount(admin, 'Mailed');
    const invited = await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'mia@example.com', role: 'owner' });
    expect(invited.status).toBe(201);
    expect(invited.body.invite).toMatchObject({ emailSent: true, url: `${PUBLIC_URL}/invite#token=${invited.body.invite.token}` });
    const mail = smtp.mails.find((m) => m.to.includes('mia@example.com'))!;
    expect(mail.from).toBe('fleet@example.com');
    expect(mail.raw).toMatch(/^Subject: You are invited to the Mailed account on simfleet/m);
    const link = /https:\/\/fleet\.example\.com\/invite#token=([A-Za-z0-9_-]+)/.exec(bodyOf(mail));
    expect(link?.[1]).toBe(invited.body.invite.token);

    const accepted = await anonymous.post('/v1/invites/accept', { token: link![1], password: PASSWORD }, { origin: PUBLIC_URL });
    expect(accepted.status).toBe(201);
    expect(sessionCookieOf(accepted)!.attributes.split('; ')).toContain('Secure');
    expect((await anonymous.post('/v1/invites/accept', { token: link![1], password: PASSWORD })).status).toBe(410);
  });

  it('still creates the user and shows the link when the mail server refuses, saying why', async () => {
    const account = await createAccount(admin, 'Refused');
    const invited = await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'ghost@refused.example', role: 'viewer' });
    expect(invited.status).toBe(201);
    expect(invited.body.invite).toMatchObject({
      emailSent: false,
      emailError: expect.stringContaining('no such mailbox'),
      token: expect.any(String),
    });
    expect((await anonymous.post('/v1/invites/inspect', { token: invited.body.invite.token })).body.email).toBe('ghost@refused.example');
  });

  it('e-mails a self-service reset link to users only, answering the same for everyone', async () => {
    const account = await createAccount(admin, 'Forgot');
    const invited = await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'forgetful@example.com', role: 'viewer' });
    await anonymous.post('/v1/invites/accept', { token: invited.body.invite.token, password: PASSWORD });
    const before = smtp.mails.length;
    const known = await anonymous.post('/v1/password-resets', { email: 'Forgetful@Example.com' });
    const unknown = await anonymous.post('/v1/password-resets', { email: 'stranger@example.com' });
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(known.body).toEqual(unknown.body);
    expect(smtp.mails.slice(before).map((m) => m.to)).toEqual([['forgetful@example.com']]);
    const token = /https:\/\/fleet\.example\.com\/reset-password#token=([A-Za-z0-9_-]+)/.exec(bodyOf(smtp.mails[before]))![1];
    expect((await anonymous.post('/v1/password-resets/accept', { token, password: 'a whole new passphrase' })).status).toBe(204);
    const session = { email: 'forgetful@example.com', password: 'a whole new passphrase' };
    expect((await anonymous.post('/v1/sessions', session, { origin: PUBLIC_URL })).status).toBe(201);
    // A sign-in posted from another origin than PUBLIC_URL's is refused (login CSRF).
    expect((await signIn(platform.url, session.email, session.password)).body).toMatchObject({
      type: '/problems/csrf-rejected',
      reason: 'origin-mismatch',
    });
  });

  it('takes PUBLIC_URL as the origin cookie-authenticated writes must come from', async () => {
    const account = await createAccount(admin, 'Origin');
    const invited = await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'origin@example.com', role: 'operator' });
    const accepted = await anonymous.post('/v1/invites/accept', { token: invited.body.invite.token, password: PASSWORD });
    const client = new SessionClient(platform.url, sessionCookieOf(accepted)!.value, accepted.body.csrfToken, accepted.body.user);
    const own = await client.post('/v1/groups', { name: 'from-console' }, { origin: PUBLIC_URL });
    expect(own.status).toBe(201);
    const direct = await client.post('/v1/groups', { name: 'elsewhere' });
    expect(direct.status).toBe(403);
    expect(direct.body).toMatchObject({ type: '/problems/csrf-rejected', reason: 'origin-mismatch' });
  });
});
