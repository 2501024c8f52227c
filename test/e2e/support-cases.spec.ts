import { luhnCheckDigit } from '@simfleet/domain';
import { ApiClient } from './support/http.js';
import { createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

describe.each(SHAPES)('dedicated support cases (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let other: ProvisionedAccount;
  let sims: string[];
  let otherSims: string[];

  const eventTypes = async (caseId: string) =>
    ((await account.api.get(`/v1/events?subject=${caseId}&limit=100`)).body.data as Array<{ type: string }>).map((e) => e.type).sort();

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env);
    admin = new ApiClient(platform.url, ADMIN_KEY);
    account = await createAccount(admin, 'Support Tests');
    other = await createAccount(admin, 'Other Tenant');
    sims = await orderSims(admin, account, 2);
    otherSims = await orderSims(admin, other, 1);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('runs a case from open to waiting to closed, and a customer message reopens it', async () => {
    const opened = await account.api.post('/v1/support-cases', {
      subject: 'No data in Lyon',
      description: 'Both trackers attach but pass no data since 9:00.',
      severity: 'high',
      iccids: sims,
    });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      id: expect.stringMatching(/^case_/),
      accountId: account.accountId,
      status: 'open',
      severity: 'high',
      iccids: sims,
      closedAt: null,
    });
    const id = opened.body.id;

    const reply = await admin.post(`/v1/admin/support-cases/${id}/messages`, { body: 'Could you send the IMEIs?' });
    expect(reply.status).toBe(201);
    expect(reply.body.case.status).toBe('waiting');
    expect(reply.body.message).toMatchObject({ author: 'support', body: 'Could you send the IMEIs?' });

    const answer = await account.api.post(`/v1/support-cases/${id}/messages`, { body: 'IMEIs: 356938035643809, 490154203237518' });
    expect(answer.status).toBe(201);
    expect(answer.body.case.status).toBe('open');

    const resolved = await admin.post(`/v1/admin/support-cases/${id}/messages`, { body: 'Fixed: an APN change on our side.', status: 'closed' });
    expect(resolved.body.case).toMatchObject({ status: 'closed', closedAt: expect.any(String) });

    const conversation = await account.api.get(`/v1/support-cases/${id}/messages`);
    expect(conversation.status).toBe(200);
    expect(conversation.body.data.map((m: { author: string }) => m.author)).toEqual(['support', 'customer', 'support']);
    const firstPage = await account.api.get(`/v1/support-cases/${id}/messages?limit=2`);
    expect(firstPage.body.data).toHaveLength(2);
    const secondPage = await account.api.get(`/v1/support-cases/${id}/messages?limit=2&cursor=${firstPage.body.nextCursor}`);
    expect(secondPage.body.data.map((m: { body: string }) => m.body)).toEqual(['Fixed: an APN change on our side.']);

    const reopened = await account.api.post(`/v1/support-cases/${id}/messages`, { body: 'It is back again.' });
    expect(reopened.body.case).toMatchObject({ status: 'open', closedAt: null });

    const closed = await account.api.post(`/v1/support-cases/${id}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    const again = await account.api.post(`/v1/support-cases/${id}/close`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ currentStatus: 'closed', allowedActions: ['message'] });

    expect(await eventTypes(id)).toEqual(
      [
        'support_case.opened',
        'support_case.updated',
        'support_case.updated',
        'support_case.closed',
        'support_case.updated',
        'support_case.closed',
      ].sort(),
    );
  });

  it('lists cases for the account and for support, filtered and paginated', async () => {
    const low = await account.api.post('/v1/support-cases', {
      subject: 'Question',
      description: 'How do I rename a SIM?',
      severity: 'low',
      iccids: [sims[0]],
    });
    expect(low.body.severity).toBe('low');
    const defaulted = await account.api.post('/v1/support-cases', { subject: 'Another', description: 'Default severity', iccids: [sims[1]] });
    expect(defaulted.body.severity).toBe('normal');
    const theirs = await other.api.post('/v1/support-cases', {
      subject: 'Theirs',
      description: 'Other tenant',
      severity: 'urgent',
      iccids: otherSims,
    });
    expect(theirs.status).toBe(201);

    const mine = await account.api.get('/v1/support-cases?limit=100');
    expect(mine.body.data.every((c: { accountId: string }) => c.accountId === account.accountId)).toBe(true);
    expect(mine.body.data.map((c: { id: string }) => c.id)).not.toContain(theirs.body.id);
    const lows = await account.api.get('/v1/support-cases?severity=low');
    expect(lows.body.data.map((c: { id: string }) => c.id)).toEqual([low.body.id]);
    const page = await account.api.get('/v1/support-cases?limit=1');
    expect(page.body.data).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));

    const urgent = await admin.get('/v1/admin/support-cases?severity=urgent&status=open');
    expect(urgent.status).toBe(200);
    expect(urgent.body.data.map((c: { id: string }) => c.id)).toEqual([theirs.body.id]);
    const byAccount = await admin.get(`/v1/admin/support-cases?accountId=${other.accountId}`);
    expect(byAccount.body.data.map((c: { id: string }) => c.id)).toEqual([theirs.body.id]);
    expect((await admin.get(`/v1/admin/support-cases/${theirs.body.id}`)).body.subject).toBe('Theirs');
    expect((await admin.get(`/v1/admin/support-cases/${theirs.body.id}/messages`)).body.data).toEqual([]);
  });

  it('refuses bad input with every field listed', async () => {
    const res = await account.api.post('/v1/support-cases', { subject: '', severity: 'critical', iccids: [] });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['description', 'iccids', 'severity', 'subject']);
    const badIccids = await account.api.post('/v1/support-cases', {
      subject: 'x',
      description: 'y',
      iccids: [sims[0], '8988303000000000000', otherSims[0]],
    });
    expect(badIccids.status).toBe(422);
    expect(badIccids.body.errors.map((e: { field: string }) => e.field)).toEqual(['iccids/1']);
    const unknown = `898830399999999999${luhnCheckDigit('898830399999999999')}`;
    const foreign = await account.api.post('/v1/support-cases', { subject: 'x', description: 'y', iccids: [sims[0], otherSims[0], unknown] });
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors).toEqual([
      { field: 'iccids/1', message: `no SIM ${otherSims[0]} in this account` },
      { field: 'iccids/2', message: `no SIM ${unknown} in this account` },
    ]);
    const opened = await account.api.post('/v1/support-cases', { subject: 'x', description: 'y', iccids: [sims[0]] });
    expect((await account.api.post(`/v1/support-cases/${opened.body.id}/messages`, { body: '   ' })).status).toBe(422);
    expect((await admin.post(`/v1/admin/support-cases/${opened.body.id}/messages`, { body: 'ok', status: 'pending' })).status).toBe(422);
  });

  it('keeps tenants apart and keys in their scope', async () => {
    const theirs = await other.api.post('/v1/support-cases', { subject: 'Private', description: 'Only ours', iccids: otherSims });
    const id = theirs.body.id;
    expect((await account.api.get(`/v1/support-cases/${id}`)).status).toBe(404);
    expect((await account.api.get(`/v1/support-cases/${id}/messages`)).status).toBe(404);
    expect((await account.api.post(`/v1/support-cases/${id}/messages`, { body: 'peek' })).status).toBe(404);
    expect((await account.api.post(`/v1/support-cases/${id}/close`)).status).toBe(404);
    expect((await admin.post('/v1/admin/support-cases/case_nope/messages', { body: 'hello' })).status).toBe(404);
    const reader = account.api.withKey(account.readKey);
    expect((await reader.post('/v1/support-cases', { subject: 'x', description: 'y', iccids: [sims[0]] })).status).toBe(403);
    expect((await reader.get('/v1/support-cases')).status).toBe(200);
    expect((await account.api.get('/v1/admin/support-cases')).status).toBe(403);
    expect((await admin.get('/v1/support-cases')).status).toBe(403);
  });
});
