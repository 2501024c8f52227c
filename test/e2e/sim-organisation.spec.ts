import { jest } from '@jest/globals';
import mqtt from 'mqtt';
import { withCheckDigit } from '@simfleet/domain';
import { ApiClient, eventually, type ApiResponse } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

jest.setTimeout(180_000);

/** The same ICCID with a wrong check digit. */
const badCheckDigit = (iccid: string): string => `${iccid.slice(0, -1)}${(Number(iccid[iccid.length - 1]) + 1) % 10}`;
/** A well-formed ICCID no account holds (outside the generated issuer range). */
const UNKNOWN_ICCID = withCheckDigit('899999999999999999');
const IMEI = withCheckDigit('35123456789012');

const fields = (res: ApiResponse) => (res.body.errors ?? []).map((e: { field: string }) => e.field).sort();

function expectProblem(res: ApiResponse, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, type: expect.any(String), detail: expect.any(String) });
}

async function waitForJob(api: ApiClient, id: string) {
  return eventually(
    async () => {
      const job = await api.get(`/v1/jobs/${id}`);
      return job.body.status === 'completed' || job.body.status === 'failed' ? job.body : undefined;
    },
    120_000,
    100,
  );
}

describe.each(SHAPES)('SIM organisation (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let acme: ProvisionedAccount;
  let other: ProvisionedAccount;
  let sims: string[];
  let otherSims: string[];
  let read: ApiClient;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    // Polling job progress is chatty; the per-key rate limit has its own tests.
    platform = await startTestPlatform(resources.env, undefined, { RATE_LIMIT_PER_MINUTE: '100000' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    acme = await createAccount(admin, 'Acme');
    other = await createAccount(admin, 'Other');
    sims = await orderSims(admin, acme, 12);
    otherSims = await orderSims(admin, other, 2);
    read = new ApiClient(platform.url, acme.readKey);
  });

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  describe('PATCH /v1/sims/{iccid}', () => {
    it('names, tags, labels, IMEI-locks a SIM; the name then works in place of the ICCID', async () => {
      const iccid = sims[0];
      const res = await acme.api.patch(`/v1/sims/${iccid}`, {
        name: 'pump-lyon-1',
        tags: { env: 'prod', site: 'lyon' },
        labels: ['pilot', 'pilot', 'north'],
        authorizedImeis: [IMEI],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        iccid,
        name: 'pump-lyon-1',
        tags: { env: 'prod', site: 'lyon' },
        labels: ['pilot', 'north'],
        authorizedImeis: [IMEI],
        allowedActions: ['activate', 'terminate'],
      });
      expect(res.body.policy).toEqual({
        monthlyDataLimitBytes: { value: null, source: 'none', groupId: null },
        allowedCountries: { value: null, source: 'none', groupId: null },
      });
      const byName = await read.get('/v1/sims/pump-lyon-1');
      expect(byName.status).toBe(200);
      expect(byName.body.iccid).toBe(iccid);
      expect((await read.get('/v1/sims/pump-lyon-1/history')).status).toBe(200);

      const events = await read.get(`/v1/events?type=sim.updated&subject=${iccid}`);
      expect(events.body.data[0].data).toMatchObject({ iccid, changed: ['name', 'tags', 'labels', 'authorizedImeis'] });
    });

    it('replaces the tag set as a whole, and null clears the name', async () => {
      const iccid = sims[1];
      await acme.api.patch(`/v1/sims/${iccid}`, { name: 'temp-name', tags: { a: '1', b: '2' } });
      const replaced = await acme.api.patch(`/v1/sims/temp-name`, { tags: { c: '3' } });
      expect(replaced.body.tags).toEqual({ c: '3' });
      const cleared = await acme.api.patch(`/v1/sims/${iccid}`, { name: null, tags: {} });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ name: null, tags: {} });
      expectProblem(await read.get('/v1/sims/temp-name'), 404);
    });

    it('refuses a name held by another SIM with a 409 naming that SIM', async () => {
      await acme.api.patch(`/v1/sims/${sims[2]}`, { name: 'unique-one' });
      const res = await acme.api.patch(`/v1/sims/${sims[3]}`, { name: 'unique-one' });
      expectProblem(res, 409);
      expect(res.body).toMatchObject({ heldBy: sims[2], name: 'unique-one' });
      expect(res.body.detail).toContain(sims[2]);
      // Names are per account: another account may use the same one.
      expect((await other.api.patch(`/v1/sims/${otherSims[0]}`, { name: 'unique-one' })).status).toBe(200);
    });

    it('records who declared an end-user device and when, in the SIM and its history', async () => {
      const iccid = sims[4];
      const res = await acme.api.patch(`/v1/sims/${iccid}`, { endUserDevice: true });
      expect(res.status).toBe(200);
      expect(res.body.endUserDevice).toEqual({ declared: true, declaredBy: expect.stringMatching(/^api_key:key_/), declaredAt: expect.any(String) });
      const shown = await read.get(`/v1/sims/${iccid}`);
      expect(shown.body.endUserDevice).toEqual(res.body.endUserDevice);
      const listed = await read.get('/v1/sims?endUserDevice=true');
      expect(listed.body.data.map((s: { iccid: string }) => s.iccid)).toEqual([iccid]);
      expect(listed.body.data[0].endUserDevice.declared).toBe(true);
      const history = await read.get(`/v1/sims/${iccid}/history`);
      expect(history.body.data).toEqual([
        expect.objectContaining({ action: 'end_user_device.declared', from: 'inventory', to: 'inventory', actor: res.body.endUserDevice.declaredBy }),
      ]);
    });

    it('lists every invalid field in one 422', async () => {
      const badImei = `${IMEI.slice(0, 14)}${(Number(IMEI[14]) + 1) % 10}`;
      const res = await acme.api.patch(`/v1/sims/${sims[5]}`, {
        name: '8988280666000000001',
        tags: { 'bad key': 'x' },
        authorizedImeis: [badImei],
        allowedCountries: ['FRA'],
        labels: [''],
      });
      expectProblem(res, 422);
      expect(fields(res)).toEqual(['allowedCountries/0', 'authorizedImeis/0', 'labels/0', 'name', 'tags/bad key']);
      // Each problem says what is wrong (the detail sums them up).
      expect(res.body.errors.find((e: { field: string }) => e.field === 'authorizedImeis/0').message).toContain('check digit');

      const unknownField = await acme.api.patch(`/v1/sims/${sims[5]}`, { colour: 'red' });
      expectProblem(unknownField, 422);
      expect(unknownField.body.detail).toContain('colour');
      expectProblem(await acme.api.patch(`/v1/sims/${sims[5]}`, {}), 422);
      expectProblem(await acme.api.patch(`/v1/sims/${sims[5]}`, { dataLimitBytes: -1 }), 422);
      expectProblem(await acme.api.patch(`/v1/sims/${sims[5]}`, { groupId: 'grp_unknown' }), 422);
    });

    it('needs the write scope', async () => {
      expectProblem(await read.patch(`/v1/sims/${sims[5]}`, { name: 'nope' }), 403);
    });
  });

  describe('ICCIDs in paths', () => {
    it('answers 422 for a wrong check digit on every SIM path, naming the problem', async () => {
      const bad = badCheckDigit(sims[0]);
      for (const res of [
        await read.get(`/v1/sims/${bad}`),
        await read.get(`/v1/sims/${bad}/history`),
        await acme.api.patch(`/v1/sims/${bad}`, { name: 'x' }),
        await acme.api.post(`/v1/sims/${bad}/activate`),
      ]) {
        expectProblem(res, 422);
        expect(res.body.detail).toContain('check digit (Luhn) is wrong');
        expect(res.body.errors).toEqual([{ field: 'iccid', message: 'the ICCID check digit (Luhn) is wrong' }]);
      }
    });

    it('answers 404 for an unknown SIM and for another tenant’s SIM, alike', async () => {
      for (const ref of [UNKNOWN_ICCID, otherSims[1], 'no-such-name']) {
        expectProblem(await read.get(`/v1/sims/${ref}`), 404);
        expectProblem(await acme.api.patch(`/v1/sims/${ref}`, { name: 'mine-now' }), 404);
        expectProblem(await acme.api.post(`/v1/sims/${ref}/suspend`), 404);
      }
      // The other tenant's SIM is untouched.
      expect((await other.api.get(`/v1/sims/${otherSims[1]}`)).body).toMatchObject({ name: null, status: 'inventory' });
    });

    it('answers 409 with the current state and the allowed actions for a wrong-state action', async () => {
      const res = await acme.api.post(`/v1/sims/${sims[6]}/suspend`);
      expectProblem(res, 409);
      expect(res.body).toMatchObject({ currentStatus: 'inventory', allowedActions: ['activate', 'terminate'] });
    });
  });

  describe('groups and policy', () => {
    it('create, list, get, patch; SIMs inherit the group policy unless they override it', async () => {
      const created = await acme.api.post('/v1/groups', { name: 'Pumps', monthlyDataLimitBytes: 50_000_000, allowedCountries: ['FR', 'DE'] });
      expect(created.status).toBe(201);
      const id = created.body.id;
      expect(created.body).toMatchObject({
        id: expect.stringMatching(/^grp_/),
        name: 'Pumps',
        monthlyDataLimitBytes: 50_000_000,
        allowedCountries: ['FR', 'DE'],
      });
      expectProblem(await acme.api.post('/v1/groups', { name: 'Pumps' }), 409);
      expect((await read.get(`/v1/groups/${id}`)).body.name).toBe('Pumps');

      const iccid = sims[7];
      const joined = await acme.api.patch(`/v1/sims/${iccid}`, { groupId: id });
      expect(joined.body.policy).toEqual({
        monthlyDataLimitBytes: { value: 50_000_000, source: 'group', groupId: id },
        allowedCountries: { value: ['FR', 'DE'], source: 'group', groupId: id },
      });
      const overridden = await acme.api.patch(`/v1/sims/${iccid}`, { dataLimitBytes: 1_000 });
      expect(overridden.body.policy.monthlyDataLimitBytes).toEqual({ value: 1_000, source: 'sim', groupId: null });
      expect(overridden.body.policy.allowedCountries.source).toBe('group');

      // A group change reaches every SIM that does not override the setting.
      expect((await acme.api.patch(`/v1/groups/${id}`, { allowedCountries: ['ES'] })).body.allowedCountries).toEqual(['ES']);
      const shown = await read.get(`/v1/sims/${iccid}`);
      expect(shown.body.policy).toEqual({
        monthlyDataLimitBytes: { value: 1_000, source: 'sim', groupId: null },
        allowedCountries: { value: ['ES'], source: 'group', groupId: id },
      });
      const back = await acme.api.patch(`/v1/sims/${iccid}`, { dataLimitBytes: null, allowedCountries: ['IT'] });
      expect(back.body.policy).toEqual({
        monthlyDataLimitBytes: { value: 50_000_000, source: 'group', groupId: id },
        allowedCountries: { value: ['IT'], source: 'sim', groupId: null },
      });

      const page1 = await read.get('/v1/groups?limit=1');
      expect(page1.body.data).toHaveLength(1);
      expectProblem(await read.get('/v1/groups?limit=0'), 422);
    });

    it('refuses to delete a group while it holds SIMs (409), then deletes it', async () => {
      const { body: group } = await acme.api.post('/v1/groups', { name: 'Temporary' });
      await acme.api.patch(`/v1/sims/${sims[8]}`, { groupId: group.id });
      const refused = await acme.api.delete(`/v1/groups/${group.id}`);
      expectProblem(refused, 409);
      expect(refused.body).toMatchObject({ groupId: group.id, simCount: 1 });
      await acme.api.patch(`/v1/sims/${sims[8]}`, { groupId: null });
      expect((await acme.api.delete(`/v1/groups/${group.id}`)).status).toBe(204);
      expectProblem(await read.get(`/v1/groups/${group.id}`), 404);
    });

    it('validates groups', async () => {
      const res = await acme.api.post('/v1/groups', { name: '', allowedCountries: ['XX'], monthlyDataLimitBytes: -5 });
      expectProblem(res, 422);
      expect(fields(res)).toEqual(['allowedCountries/0', 'monthlyDataLimitBytes', 'name']);
      expectProblem(await acme.api.patch('/v1/groups/grp_missing', { name: 'x' }), 404);
      expectProblem(await read.post('/v1/groups', { name: 'read-only' }), 403);
    });

    it('isolates tenants: another account’s group is not found and cannot be joined', async () => {
      const { body: theirs } = await other.api.post('/v1/groups', { name: 'Theirs', monthlyDataLimitBytes: 1 });
      expectProblem(await read.get(`/v1/groups/${theirs.id}`), 404);
      expectProblem(await acme.api.patch(`/v1/groups/${theirs.id}`, { name: 'Stolen' }), 404);
      expectProblem(await acme.api.delete(`/v1/groups/${theirs.id}`), 404);
      const join = await acme.api.patch(`/v1/sims/${sims[9]}`, { groupId: theirs.id });
      expectProblem(join, 422);
      expect(fields(join)).toEqual(['groupId']);
      expectProblem(await read.get(`/v1/sims?groupId=${theirs.id}`), 422);
      const list = await read.get('/v1/groups?limit=100');
      expect(list.body.data.map((g: { id: string }) => g.id)).not.toContain(theirs.id);
      expect((await other.api.get(`/v1/groups/${theirs.id}`)).body.name).toBe('Theirs');
    });
  });

  describe('GET /v1/sims: filters, sort, pagination; summary', () => {
    beforeAll(async () => {
      await acme.api.patch(`/v1/sims/${sims[10]}`, { name: 'Beta-Tracker', tags: { env: 'staging', site: 'lyon' } });
      await acme.api.patch(`/v1/sims/${sims[11]}`, { name: 'alpha-tracker', tags: { env: 'prod' } });
    });

    const iccidsOf = (res: ApiResponse) => res.body.data.map((s: { iccid: string }) => s.iccid);

    it('filters by tag (all pairs), status, group and q', async () => {
      expect(iccidsOf(await read.get('/v1/sims?tag=env:prod'))).toEqual([sims[0], sims[11]].sort());
      expect(iccidsOf(await read.get('/v1/sims?tag=env:prod&tag=site:lyon'))).toEqual([sims[0]]);
      expect(iccidsOf(await read.get('/v1/sims?q=TRACKER'))).toEqual([sims[10], sims[11]].sort());
      expect(iccidsOf(await read.get(`/v1/sims?q=${sims[3].slice(0, 19)}`))).toEqual([sims[3]]);
      const msisdn: string = (await read.get(`/v1/sims/${sims[2]}`)).body.msisdn;
      expect(iccidsOf(await read.get(`/v1/sims?q=${encodeURIComponent(msisdn)}`))).toEqual([sims[2]]);
      expect(iccidsOf(await read.get(`/v1/sims?q=${msisdn.slice(1)}`))).toEqual([sims[2]]);
      expect(iccidsOf(await read.get('/v1/sims?status=inventory&limit=1000'))).toHaveLength(12);
      expect(iccidsOf(await read.get('/v1/sims?status=active,suspended'))).toEqual([]);
      expect(iccidsOf(await read.get('/v1/sims?groupId=none&limit=1000'))).toHaveLength(11);
      // Another tenant's SIMs never appear, whatever the filter.
      expect(iccidsOf(await read.get('/v1/sims?q=unique-one'))).toEqual([sims[2]]);
    });

    it('sorts by name both ways and pages with a cursor without gaps or repeats', async () => {
      const all = iccidsOf(await read.get('/v1/sims?sort=name&limit=1000'));
      expect(all).toHaveLength(12);
      const named = (await read.get('/v1/sims?sort=name&limit=1000')).body.data.map((s: { name: string | null }) => s.name);
      // Names first (byte order), then SIMs without a name.
      expect(named.slice(0, 4)).toEqual(['Beta-Tracker', 'alpha-tracker', 'pump-lyon-1', 'unique-one']);
      expect(named.slice(4).every((n: string | null) => n === null)).toBe(true);

      for (const sort of ['name', '-name', 'iccid', '-iccid', 'createdAt', '-createdAt', 'lastSeenAt', '-lastSeenAt']) {
        const full = iccidsOf(await read.get(`/v1/sims?sort=${sort}&limit=1000`));
        const walked: string[] = [];
        let cursor: string | null = null;
        do {
          const page: ApiResponse = await read.get(`/v1/sims?sort=${sort}&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
          expect(page.status).toBe(200);
          walked.push(...iccidsOf(page));
          cursor = page.body.nextCursor;
        } while (cursor);
        expect(walked).toEqual(full);
        expect(new Set(walked).size).toBe(12);
      }
      const desc = iccidsOf(await read.get('/v1/sims?sort=-name&limit=1000'));
      expect(desc.slice(-4)).toEqual([sims[2], sims[0], sims[11], sims[10]]);
    });

    it('answers 422 listing every bad filter', async () => {
      const res = await read.get('/v1/sims?status=bogus&tag=novalue&country=xx&lastSeenBefore=yesterday&endUserDevice=maybe&sort=colour&colour=red');
      expectProblem(res, 422);
      // The unknown parameter (colour) is named like the others.
      expect(fields(res)).toEqual(['colour', 'country', 'endUserDevice', 'lastSeenBefore', 'sort', 'status/0', 'tag/0']);
      expect(res.body.errors.find((e: { field: string }) => e.field === 'colour').message).toBe('unknown query parameter');
      expectProblem(await read.get('/v1/sims?tag=env:prod&tag=env:staging'), 422);
      const page = await read.get('/v1/sims?sort=name&limit=2');
      const mismatch = await read.get(`/v1/sims?sort=iccid&cursor=${page.body.nextCursor}`);
      expectProblem(mismatch, 422);
      expect(fields(mismatch)).toEqual(['cursor']);
      expectProblem(await read.get('/v1/sims?cursor=not-a-cursor'), 422);
    });

    it('filters by network, country and last seen, from telemetry of a real MQTT device', async () => {
      const iccid = sims[9];
      const secret = await activate(acme, iccid);
      const client = await mqtt.connectAsync(platform.mqttUrl, { username: iccid, password: secret, clientId: `dev-${iccid}`, reconnectPeriod: 0 });
      const now = new Date();
      await client.publishAsync(
        `things/${iccid}/sessions`,
        JSON.stringify({
          sessionId: 'org-1',
          startedAt: new Date(now.getTime() - 60_000).toISOString(),
          endedAt: now.toISOString(),
          bytesUp: 10,
          bytesDown: 20,
          mcc: '208',
          mnc: '01',
          rat: 'LTE-M',
        }),
        { qos: 1 },
      );
      await client.endAsync();
      await eventually(async () => ((await read.get(`/v1/sims/${iccid}`)).body.country === 'FR' ? true : undefined), 30_000);

      expect(iccidsOf(await read.get('/v1/sims?country=FR'))).toEqual([iccid]);
      expect(iccidsOf(await read.get('/v1/sims?network=Orange&status=active'))).toEqual([iccid]);
      expect(iccidsOf(await read.get('/v1/sims?country=DE'))).toEqual([]);
      const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
      expect(iccidsOf(await read.get(`/v1/sims?lastSeenAfter=${hourAgo}`))).toEqual([iccid]);
      expect(iccidsOf(await read.get(`/v1/sims?lastSeenBefore=${hourAgo}`))).toEqual([]);
      // Sorting by last seen: seen SIMs first ascending, last descending.
      expect(iccidsOf(await read.get('/v1/sims?sort=lastSeenAt&limit=1'))).toEqual([iccid]);
      expect(iccidsOf(await read.get('/v1/sims?sort=-lastSeenAt&limit=1000')).at(-1)).toBe(iccid);

      const summary = await read.get('/v1/sims/summary');
      expect(summary.status).toBe(200);
      expect(summary.body.total).toBe(12);
      expect(summary.body.byStatus).toEqual([
        { status: 'inventory', count: 11 },
        { status: 'active', count: 1 },
        { status: 'suspended', count: 0 },
        { status: 'terminated', count: 0 },
      ]);
      expect(summary.body.byCountry).toEqual([
        { country: null, count: 11 },
        { country: 'FR', count: 1 },
      ]);
      expect(summary.body.byNetwork).toEqual([
        { network: null, count: 11 },
        { network: 'Orange', count: 1 },
      ]);
      expect(summary.body.byGroup).toEqual([
        { groupId: null, groupName: null, count: 11 },
        { groupId: expect.stringMatching(/^grp_/), groupName: 'Pumps', count: 1 },
      ]);

      // The other tenant sees only its own SIMs.
      const theirs = await other.api.get('/v1/sims/summary');
      expect(theirs.body.total).toBe(2);
      expect(theirs.body.byCountry).toEqual([{ country: null, count: 2 }]);
    });
  });

  describe('GET /v1/sims/export', () => {
    /** RFC 4180 records of a CSV text (quoted fields with doubled quotes, CRLF line ends). */
    const parseCsv = (text: string): string[][] => {
      const records: string[][] = [];
      let record: string[] = [];
      let field = '';
      let quoted = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quoted && c === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (quoted && c === '"') {
          quoted = false;
        } else if (quoted || (c !== '"' && c !== ',' && c !== '\r')) {
          field += c;
        } else if (c === '"') {
          quoted = true;
        } else if (c === ',') {
          record.push(field);
          field = '';
        } else {
          expect(text[i + 1]).toBe('\n');
          record.push(field);
          records.push(record);
          record = [];
          field = '';
          i++;
        }
      }
      expect(field).toBe('');
      expect(record).toEqual([]);
      return records;
    };
    const listed = async (api: ApiClient, query: string) =>
      (await api.get(`/v1/sims?limit=1000${query ? `&${query}` : ''}`)).body.data.map((s: { iccid: string }) => s.iccid);

    it('streams every matching SIM as CSV, in the list’s order, with the list’s filters', async () => {
      await acme.api.patch(`/v1/sims/${sims[7]}`, { name: '=SUM(1,2)', tags: { env: 'prod', note: 'say "hi"' } });
      const res = await read.get('/v1/sims/export');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="sims-\d{4}-\d{2}-\d{2}\.csv"$/);
      const [header, ...rows] = parseCsv(res.body as string);
      expect(header).toEqual([
        'iccid',
        'imsi',
        'msisdn',
        'eid',
        'formFactor',
        'name',
        'status',
        'blocks',
        'groupId',
        'groupName',
        'tags',
        'labels',
        'endUserDevice',
        'country',
        'network',
        'mcc',
        'mnc',
        'rat',
        'imei',
        'lastSeenAt',
        'firstActivatedAt',
        'createdAt',
      ]);
      expect(rows.map((r) => r[0])).toEqual(await listed(read, ''));
      const column = (row: string[], name: string) => row[header.indexOf(name)];
      const formula = rows.find((r) => r[0] === sims[7])!;
      // A name a spreadsheet would run is written as text; quotes and commas survive the round trip.
      expect(column(formula, 'name')).toBe("'=SUM(1,2)");
      expect(JSON.parse(column(formula, 'tags'))).toEqual({ env: 'prod', note: 'say "hi"' });
      const shown = (await read.get(`/v1/sims/${sims[9]}`)).body;
      const seen = rows.find((r) => r[0] === sims[9])!;
      expect(column(seen, 'status')).toBe('active');
      expect(column(seen, 'country')).toBe('FR');
      expect(column(seen, 'network')).toBe('Orange');
      const grouped = rows.filter((r) => column(r, 'groupId') !== '');
      expect(grouped.map((r) => [column(r, 'groupId').startsWith('grp_'), column(r, 'groupName')])).toEqual([[true, 'Pumps']]);
      expect(column(seen, 'lastSeenAt')).toBe(shown.lastSeenAt);
      expect(column(seen, 'createdAt')).toBe(shown.createdAt);
      expect(column(seen, 'blocks')).toBe('[]');

      for (const query of ['tag=env:prod&sort=-name', 'status=active', 'q=tracker&sort=-iccid', 'groupId=none&sort=createdAt', 'country=DE']) {
        const filtered = parseCsv((await read.get(`/v1/sims/export?${query}`)).body as string).slice(1);
        expect(filtered.map((r) => r[0])).toEqual(await listed(read, query));
      }
      // Another tenant's export holds its own SIMs only.
      const theirs = parseCsv((await other.api.get('/v1/sims/export')).body as string).slice(1);
      expect(theirs.map((r) => r[0]).sort()).toEqual([...otherSims].sort());
    });

    it('answers 422 for bad filters before any line, and needs an API key', async () => {
      const bad = await read.get('/v1/sims/export?status=bogus&limit=10');
      expectProblem(bad, 422);
      expect(fields(bad)).toEqual(['limit', 'status/0']);
      expectProblem(await read.get('/v1/sims/export?groupId=grp_nope'), 422);
      expectProblem(await new ApiClient(platform.url).get('/v1/sims/export'), 401);
    });

    it('keeps the names of routes for the routes', async () => {
      for (const name of ['summary', 'export']) {
        const res = await acme.api.patch(`/v1/sims/${sims[8]}`, { name });
        expectProblem(res, 422);
        expect(fields(res)).toEqual(['name']);
      }
    });
  });

  describe('bulk jobs', () => {
    it('suspends a tag’s worth of SIMs by filter; SIMs in the wrong state are failures, the rest succeed', async () => {
      const fleet = sims.slice(0, 3);
      for (const iccid of fleet) {
        expect((await acme.api.patch(`/v1/sims/${iccid}`, { tags: { batch: 'b1' } })).status).toBe(200);
      }
      await activate(acme, fleet[0]);
      await activate(acme, fleet[1]);
      const accepted = await acme.api.post('/v1/sims/bulk', { action: 'suspend', filter: { tag: ['batch:b1'] }, reason: 'maintenance' });
      expect(accepted.status).toBe(202);
      expect(accepted.body).toMatchObject({ id: expect.stringMatching(/^job_/), status: 'queued', action: 'suspend', total: 3 });
      const job = await waitForJob(read, accepted.body.id);
      expect(job).toMatchObject({ status: 'completed', total: 3, processed: 3, succeeded: 2, failed: 1, reason: 'maintenance' });
      expect(job.failures).toEqual([{ iccid: fleet[2], reason: expect.stringContaining('inventory') }]);
      expect(job.startedAt).toEqual(expect.any(String));
      expect(job.finishedAt).toEqual(expect.any(String));
      expect((await read.get(`/v1/sims/${fleet[0]}`)).body.status).toBe('suspended');
      const history = await read.get(`/v1/sims/${fleet[1]}/history`);
      expect(history.body.data.at(-1)).toMatchObject({ action: 'suspend', reason: 'maintenance', to: 'suspended' });
      const events = await read.get(`/v1/events?type=job.completed&subject=${job.id}`);
      expect(events.body.data[0].data).toMatchObject({ jobId: job.id, succeeded: 2, failed: 1 });
      const failures = await read.get(`/v1/jobs/${job.id}/failures`);
      expect(failures.body).toEqual({ data: job.failures, nextCursor: null });
      expect((await read.get('/v1/jobs?limit=10')).body.data.map((j: { id: string }) => j.id)).toContain(job.id);
    });

    it('reports unknown and other tenants’ ICCIDs as “not found” failures, never touching them', async () => {
      const accepted = await acme.api.post('/v1/sims/bulk', { action: 'terminate', iccids: [UNKNOWN_ICCID, otherSims[0], sims[5], sims[5]] });
      expect(accepted.status).toBe(202);
      expect(accepted.body.total).toBe(3);
      const job = await waitForJob(read, accepted.body.id);
      expect(job).toMatchObject({ status: 'completed', succeeded: 1, failed: 2 });
      expect(job.failures).toEqual([
        { iccid: UNKNOWN_ICCID, reason: 'not found' },
        { iccid: otherSims[0], reason: 'not found' },
      ]);
      expect((await other.api.get(`/v1/sims/${otherSims[0]}`)).body.status).toBe('inventory');
      expect((await read.get(`/v1/sims/${sims[5]}`)).body.status).toBe('terminated');
      // The job belongs to its account only.
      expectProblem(await other.api.get(`/v1/jobs/${job.id}`), 404);
      expectProblem(await other.api.get(`/v1/jobs/${job.id}/failures`), 404);
      expect((await other.api.get('/v1/jobs')).body.data).toEqual([]);
    });

    it('disconnects connected devices of the SIMs it suspends; each SIM gets its history row and event', async () => {
      const targets = [sims[6], sims[8]];
      const closed: string[] = [];
      for (const iccid of targets) {
        const secret = await activate(acme, iccid);
        const client = await mqtt.connectAsync(platform.mqttUrl, {
          username: iccid,
          password: secret,
          clientId: `bulk-${iccid}`,
          reconnectPeriod: 0,
        });
        client.on('close', () => closed.push(iccid));
      }
      const accepted = await acme.api.post('/v1/sims/bulk', { action: 'suspend', iccids: targets, reason: 'theft' });
      const job = await waitForJob(read, accepted.body.id);
      expect(job).toMatchObject({ status: 'completed', succeeded: 2, failed: 0 });
      await eventually(async () => (closed.length === 2 ? true : undefined), 20_000);
      expect([...closed].sort()).toEqual([...targets].sort());
      for (const iccid of targets) {
        expect((await read.get(`/v1/sims/${iccid}/history`)).body.data.at(-1)).toMatchObject({
          from: 'active',
          to: 'suspended',
          action: 'suspend',
          reason: 'theft',
        });
        const events = await read.get(`/v1/events?type=sim.suspended&subject=${iccid}`);
        expect(events.body.data.map((e: { data: unknown }) => e.data)).toEqual([
          { iccid, from: 'active', to: 'suspended', actor: expect.stringMatching(/^api_key:/), reason: 'theft' },
        ]);
      }
    });

    it('answers 422 for invalid bulk requests', async () => {
      const both = await acme.api.post('/v1/sims/bulk', { action: 'suspend', iccids: [sims[0]], filter: { status: ['active'] } });
      expectProblem(both, 422);
      expect(fields(both)).toEqual(['filter', 'iccids']);
      const neither = await acme.api.post('/v1/sims/bulk', { action: 'suspend' });
      expectProblem(neither, 422);
      expect(fields(neither)).toEqual(['filter', 'iccids']);

      const oversize = await acme.api.post('/v1/sims/bulk', { action: 'suspend', iccids: Array.from({ length: 100_001 }, () => sims[0]) });
      expectProblem(oversize, 422);
      expect(oversize.body.detail).toContain('100000');

      const badIccids = await acme.api.post('/v1/sims/bulk', { action: 'suspend', iccids: [sims[0], badCheckDigit(sims[1]), '123'] });
      expectProblem(badIccids, 422);
      expect(fields(badIccids)).toEqual(['iccids/1', 'iccids/2']);
      expect(badIccids.body.errors[0].message).toContain('check digit');

      const badFilter = await acme.api.post('/v1/sims/bulk', { action: 'pause', filter: { status: ['sleeping'], country: 'France', tag: ['x'] } });
      expectProblem(badFilter, 422);
      expect(fields(badFilter)).toEqual(['action', 'filter/country', 'filter/status/0', 'filter/tag/0']);
      expectProblem(await acme.api.post('/v1/sims/bulk', { action: 'suspend', filter: { groupId: 'grp_nope' } }), 422);
      expectProblem(await read.post('/v1/sims/bulk', { action: 'suspend', iccids: [sims[0]] }), 403);
      expectProblem(await read.get('/v1/jobs/job_unknown'), 404);
    });
  });

  // The 10,000-SIM run is the embedded shape's; the servers shape covers bulk jobs above with fewer SIMs.
  if (shape === 'embedded')
    it('runs a bulk job over 10,000 SIMs with visible progress; bad SIMs never fail the rest', async () => {
      const big = await createAccount(admin, 'Big fleet');
      expect((await admin.post('/v1/stock', { count: 10_000, formFactor: '4FF' })).status).toBe(201);
      const order = await big.api.post('/v1/orders', { quantity: 10_000, formFactor: '4FF' });
      await eventually(async () => ((await big.api.get(`/v1/orders/${order.body.id}`)).body.status === 'allocated' ? true : undefined), 120_000, 200);
      const iccids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: ApiResponse = await big.api.get(`/v1/sims?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
        iccids.push(...page.body.data.map((s: { iccid: string }) => s.iccid));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(iccids).toHaveLength(10_000);
      // Three SIMs are already terminated: terminating them again is refused, SIM by SIM.
      for (const iccid of iccids.slice(100, 103)) expect((await big.api.post(`/v1/sims/${iccid}/terminate`)).status).toBe(200);

      const accepted = await big.api.post('/v1/sims/bulk', { action: 'terminate', iccids: [...iccids, UNKNOWN_ICCID] });
      expect(accepted.status).toBe(202);
      expect(accepted.body.total).toBe(10_001);
      const seen: number[] = [];
      const job = await eventually(
        async () => {
          const res = await big.api.get(`/v1/jobs/${accepted.body.id}`);
          seen.push(res.body.processed);
          return res.body.status === 'completed' ? res.body : undefined;
        },
        600_000,
        200,
      );
      // Progress was observed between the start and the end.
      expect(seen.some((n) => n > 0 && n < 10_001)).toBe(true);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      expect(job).toMatchObject({ status: 'completed', total: 10_001, processed: 10_001, succeeded: 9_997, failed: 4 });
      expect(job.failures.map((f: { iccid: string }) => f.iccid)).toEqual([...iccids.slice(100, 103), UNKNOWN_ICCID]);
      expect(job.failures[0].reason).toContain('terminated');
      const summary = await big.api.get('/v1/sims/summary');
      expect(summary.body.byStatus).toContainEqual({ status: 'terminated', count: 10_000 });
      // The export pages through them all (2,000 SIMs a page), each once, in ICCID order.
      const exported = ((await big.api.get('/v1/sims/export')).body as string).split('\r\n');
      expect(exported.at(-1)).toBe('');
      expect(exported.slice(1, -1).map((line) => line.split(',')[0])).toEqual([...iccids].sort());
    }, 900_000);
});
