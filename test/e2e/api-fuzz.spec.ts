import { Database } from '@simfleet/persistence';
import { contractOf, type OpenApiContract, type Operation } from './support/contract.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { BAD_CURSORS, EXTREME_INSTANTS, EXTREME_NUMBERS, HOSTILE_STRINGS, SchemaGenerator, SEED, deeplyNested } from './support/fuzz.js';
import { ApiClient } from './support/http.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { LAST_MONTH } from '../support/test-time.js';

// Schema-driven fuzzing of every operation of /openapi.json (read at run time: operations added later are
// fuzzed too). For each: generated valid requests, and generated bad ones — wrong types, missing and unknown
// fields, huge, deep, NUL, unpaired surrogates, extreme numbers and dates, bad cursors, wrong media types,
// empty and malformed bodies, unknown query parameters, hostile path segments. Every response must be
// below 500, an error must be problem+json, every response must match the document, a request the document
// says is invalid must be refused, and a refused request must change nothing in the database.
// Deterministic (seed SEED) and bounded: a fixed number of cases per operation.
// Alone: npm test -- test/e2e/api-fuzz.spec.ts

type Json = Record<string, any>;

interface Case {
  label: string;
  path: string;
  query: Array<[string, string]>;
  body?: string;
  contentType?: string;
  /** The document says this request is invalid: it must be refused (4xx). */
  mustRefuse: boolean;
  /** The document allows this value of this body field: a 422 naming the field means the document is missing a rule. */
  allowedField?: string;
}

interface World {
  admin: ApiClient;
  account: ProvisionedAccount;
  ids: Record<string, string>;
}

const MAX_BODY_CASES = 14;

/** Tables a refused request is allowed to leave different: written in the background, or on authentication (api_keys.last_used_at is left out below). */
const BACKGROUND_TABLES = new Set(['schema_migrations', 'webhook_deliveries', 'webhook_delivery_attempts', 'dead_letters', 'sim_connections']);
/** Rows a refused request writes by design: the audit log records every state-changing request with its outcome (docs/identity.md). */
const ROWS_OF_REFUSALS: Record<string, string> = { audit_log: "where t.outcome = 'success'" };

/** One statement digesting every table (row count and an md5 of the rows), so that a check costs one round trip. */
async function fingerprinter(db: Database): Promise<() => Promise<string>> {
  const tables = await db.query<{ name: string }>(
    "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
  );
  const sql = tables
    .filter(({ name }) => !BACKGROUND_TABLES.has(name))
    .map(
      ({ name }) =>
        `select '${name}' as name, count(*)::int as n, md5(coalesce(string_agg((to_jsonb(t) - 'last_used_at')::text, ',' order by (to_jsonb(t) - 'last_used_at')::text), '')) as digest from "${name}" t ${ROWS_OF_REFUSALS[name] ?? ''}`,
    )
    .join(' union all ');
  return async () => (await db.query<{ name: string; n: number; digest: string }>(sql)).map((r) => `${r.name}:${r.n}:${r.digest}`).join('\n');
}

const diff = (before: string, after: string) => {
  const a = new Set(before.split('\n'));
  return after
    .split('\n')
    .filter((line) => !a.has(line))
    .map((line) => line.split(':')[0]);
};

/** A real resource for a path parameter, by its name and the collection before it. */
function paramValue(world: World, generator: SchemaGenerator, op: Operation, name: string, schema: Json | undefined): string {
  const segments = op.path.split('/');
  const index = segments.indexOf(`{${name}}`);
  const collection = segments[index - 1] ?? '';
  const known: Record<string, string | undefined> = {
    iccid: world.ids.iccid,
    keyId: world.ids.spareKey,
    deliveryId: 'dlv_01M00000000000000000000000',
    n: '0',
  };
  if (known[name]) return known[name]!;
  const byCollection: Record<string, string | undefined> = {
    accounts: world.account.accountId,
    orders: world.ids.order,
    webhooks: world.ids.webhook,
    groups: world.ids.group,
    'alert-rules': world.ids.alertRule,
    alerts: 'alr_01M00000000000000000000000',
    'support-cases': world.ids.supportCase,
    invoices: world.ids.invoice,
    'price-plans': 'default',
    jobs: world.ids.job,
    sms: world.ids.sms,
  };
  return byCollection[collection] ?? String(generator.sample(schema, `${op.name} ${name}`) ?? 'x');
}

function buildPath(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name]));
}

const queryString = (query: Array<[string, string]>) =>
  query.length ? `?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : '';

/** The cases of one operation: a few valid requests, then the bad ones. */
function casesOf(op: Operation, world: World, generator: SchemaGenerator, contract: OpenApiContract): { valid: Case[]; bad: Case[] } {
  const parameters = ((op.spec.parameters ?? []) as Json[]).map((p) => (p.$ref ? generator.resolve(p) : p));
  const pathParams = parameters.filter((p) => p.in === 'path');
  const queryParams = parameters.filter((p) => p.in === 'query');
  const values = Object.fromEntries(pathParams.map((p) => [p.name, paramValue(world, generator, op, p.name, p.schema)]));
  const path = buildPath(op, values);
  const media = op.spec.requestBody?.content ? Object.keys(op.spec.requestBody.content) : [];
  const jsonSchema = op.spec.requestBody?.content?.['application/json']?.schema as Json | undefined;
  const bodyRequired = Boolean(op.spec.requestBody?.required);
  const limit = Number(op.spec['x-max-body-bytes'] ?? 65536);

  const validQuery = (salt: string): Array<[string, string]> =>
    queryParams
      .filter((p) => p.required || (generator.sample({ type: 'boolean' }, `${salt} ${p.name} present`) as boolean))
      .map((p) => [p.name, String(generator.sample(p.schema, `${salt} ${p.name}`))]);
  const requiredQuery = (salt: string) => validQuery(salt).filter(([name]) => queryParams.find((p) => p.name === name)?.required);
  const validBody = (salt: string) => (jsonSchema ? JSON.stringify(generator.sample(jsonSchema, `${salt} body`)) : undefined);
  const withBody = (c: Omit<Case, 'contentType'> & { contentType?: string }): Case => ({
    contentType: c.body !== undefined ? (c.contentType ?? 'application/json') : undefined,
    ...c,
  });

  const valid: Case[] = [0, 1, 2].map((i) =>
    withBody({ label: `valid request #${i}`, path, query: validQuery(`valid ${i}`), body: validBody(`valid ${i}`), mustRefuse: false }),
  );
  const baseQuery = requiredQuery('bad');
  const baseBody = validBody('bad');
  // The edges of what the document allows for each free-text field of the body: as long as its maxLength,
  // and blank (spaces only) unless a pattern says otherwise. The server may refuse the request for another
  // reason (a state, a uniqueness), but not because of that field: its rule would be missing from the document.
  if (jsonSchema && baseBody) {
    const schema = generator.resolve(jsonSchema);
    const base = (JSON.parse(baseBody) ?? {}) as Json;
    for (const [name, raw] of Object.entries((schema.type === 'object' && schema.properties) || {}) as Array<[string, Json]>) {
      const property = generator.resolve(raw);
      // Not: a reference to another resource (`planId`: an unknown one is refused), a value with a shape
      // (format, pattern, enum), a rule the document names but a schema cannot state (`x-limited-by`).
      const reference = name === 'id' || name.endsWith('Id');
      if (property.type !== 'string' || reference || property.enum || property.format || property.pattern || property['x-limited-by']) continue;
      if (property.maxLength === undefined) continue;
      const edges: Array<[string, string]> = [[`field ${name}: ${property.maxLength} characters (its maxLength)`, 'x'.repeat(property.maxLength)]];
      if ((property.minLength ?? 0) <= property.maxLength) edges.push([`field ${name}: blank`, ' '.repeat(Math.max(property.minLength ?? 0, 1))]);
      for (const [label, value] of edges)
        valid.push(
          withBody({ label, path, query: baseQuery, body: JSON.stringify({ ...base, [name]: value }), mustRefuse: false, allowedField: name }),
        );
    }
  }
  const bad: Case[] = [];
  const add = (label: string, change: Partial<Case>, mustRefuse = true) =>
    bad.push(withBody({ label, path, query: baseQuery, body: baseBody, mustRefuse, ...change }));

  // Path segments.
  for (const p of pathParams) {
    for (const [what, value] of [
      ['NUL', `a\u0000b`],
      ['a space', ' '],
      ['201 characters', 'x'.repeat(201)],
      ['an unpaired surrogate (raw UTF-8 bytes)', '%ED%A0%80'],
    ] as const) {
      const segment = value === '%ED%A0%80' ? value : encodeURIComponent(value);
      add(
        `path ${p.name}: ${what}`,
        { path: op.path.replace(/\{([^}]+)\}/g, (_, n: string) => (n === p.name ? segment : encodeURIComponent(values[n]))) },
        false,
      );
    }
  }
  // Query parameters.
  add('an unknown query parameter', { query: [...baseQuery, ['fuzzUnknown', '1']] });
  for (const p of queryParams) {
    const schema = generator.resolve(p.schema);
    const others = baseQuery.filter(([n]) => n !== p.name);
    add(`query ${p.name}: NUL`, { query: [...others, [p.name, 'a\u0000b']] }, false);
    if (p.required) add(`query ${p.name}: missing`, { query: others });
    if (schema.type === 'integer' || schema.type === 'number') {
      for (const value of ['abc', '1e999', '-99999999999999999999', '0.5'])
        add(`query ${p.name}: ${value}`, { query: [...others, [p.name, value]] }, false);
    }
    if (schema.format === 'date-time')
      for (const value of EXTREME_INSTANTS) add(`query ${p.name}: ${value}`, { query: [...others, [p.name, value]] }, false);
    // A crafted cursor may decode to a valid position (an id): it must be answered without a 5xx, not necessarily refused.
    if (p.name === 'cursor')
      for (const value of BAD_CURSORS) add(`query cursor: ${value.slice(0, 20)}`, { query: [...others, [p.name, value]] }, false);
    if (schema.maxLength) add(`query ${p.name}: longer than ${schema.maxLength}`, { query: [...others, [p.name, 'x'.repeat(schema.maxLength + 1)]] });
    if (schema.enum) add(`query ${p.name}: not one of its values`, { query: [...others, [p.name, 'not-a-value']] });
  }
  // Bodies.
  if (media.length) {
    add('a text/plain body', { contentType: 'text/plain', body: baseBody ?? 'x' });
    add('an XML body', { contentType: 'application/xml', body: '<a/>' });
    add('a form body', { contentType: 'application/x-www-form-urlencoded', body: 'a=1' });
    add('malformed JSON', { body: '{"a":' });
    add('__proto__ in JSON', { body: '{"__proto__":{"admin":true}}' });
    add(`a body over the limit (${limit} bytes)`, { body: JSON.stringify({ pad: 'x'.repeat(limit + 10) }) });
    add('JSON nested 40 levels', { body: JSON.stringify(deeplyNested(40)) });
    if (bodyRequired) add('an empty body', { body: '' });
    if (bodyRequired) add('a null body', { body: 'null' }, jsonSchema?.type === 'object');
  }
  if (jsonSchema) {
    const schema = generator.resolve(jsonSchema);
    const bodyCases: Array<[string, unknown, boolean]> = [];
    if (schema.type === 'object') {
      bodyCases.push(['a JSON array instead of an object', [], true], ['a JSON string instead of an object', 'x', true]);
      const base = (JSON.parse(baseBody ?? '{}') ?? {}) as Json;
      const properties = Object.entries((schema.properties ?? {}) as Record<string, Json>);
      if (schema.additionalProperties === false) bodyCases.push(['an unknown field', { ...base, fuzzUnknown: 1 }, true]);
      for (const name of (schema.required ?? []) as string[]) {
        const { [name]: _dropped, ...rest } = base;
        bodyCases.push([`field ${name} missing`, rest, true]);
      }
      for (const [name, raw] of properties) {
        const property = generator.resolve(raw);
        if (property.type === 'string' && !property.enum) {
          for (const [what, value] of HOSTILE_STRINGS) bodyCases.push([`field ${name}: ${what}`, { ...base, [name]: value }, true]);
          bodyCases.push([`field ${name}: a number`, { ...base, [name]: 42 }, true]);
        } else if (property.type === 'integer' || property.type === 'number') {
          for (const [what, value] of EXTREME_NUMBERS) {
            const outside =
              typeof value !== 'number' ||
              (property.type === 'integer' && !Number.isSafeInteger(value)) ||
              (property.maximum !== undefined && value > property.maximum) ||
              (property.minimum !== undefined && value < property.minimum);
            bodyCases.push([`field ${name}: ${what}`, { ...base, [name]: value }, outside]);
          }
        } else if (property.type === 'array') {
          bodyCases.push([`field ${name}: an object`, { ...base, [name]: {} }, true]);
          if (property.maxItems)
            bodyCases.push([`field ${name}: ${property.maxItems + 1} items`, { ...base, [name]: Array(property.maxItems + 1).fill(null) }, true]);
        } else if (property.enum) {
          bodyCases.push([`field ${name}: not one of its values`, { ...base, [name]: 'not-a-value' }, true]);
        }
        if (property.format === 'date-time')
          for (const value of EXTREME_INSTANTS) bodyCases.push([`field ${name}: ${value}`, { ...base, [name]: value }, false]);
      }
    }
    // A seeded selection keeps the time bounded on operations with many fields.
    const chosen = bodyCases.length <= MAX_BODY_CASES ? bodyCases : bodyCases.filter((_, i) => (i * 7919 + SEED) % bodyCases.length < MAX_BODY_CASES);
    for (const [label, body, mustRefuse] of chosen) add(label, { body: JSON.stringify(body) }, mustRefuse);
  }
  void contract;
  return { valid, bad };
}

/** The fields a problem document names in `errors`. */
const refusedFields = (text: string): string[] => {
  try {
    return ((JSON.parse(text) as { errors?: Array<{ field: string }> }).errors ?? []).map((e) => e.field);
  } catch {
    return [];
  }
};

async function send(baseUrl: string, key: string, method: string, c: Case): Promise<{ status: number; type: string | null; text: string }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  try {
    const response = await fetch(`${baseUrl}${c.path}${queryString(c.query)}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(c.contentType ? { 'content-type': c.contentType } : {}) },
      body: c.body,
      signal: controller.signal,
    });
    const type = response.headers.get('content-type');
    // A stream (server-sent events) is checked by its status and type; its body never ends.
    const text = type?.startsWith('text/event-stream') ? '' : await response.text();
    if (type?.startsWith('text/event-stream')) controller.abort();
    return { status: response.status, type, text };
  } finally {
    clearTimeout(timer);
  }
}

describe.each(SHAPES)('OpenAPI fuzz (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let world: World;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { ALERTS_SCAN_EVERY: '1h', WEBHOOK_POLL_INTERVAL: '1h' });
    const admin = new ApiClient(platform.url, ADMIN_KEY);
    const account = await createAccount(admin, 'Fuzz Fleet');
    const sims = await orderSims(admin, account, 3);
    await activate(account, sims[0]);
    const ids: Record<string, string> = { iccid: sims[0] };
    const keep = async (name: string, request: Promise<{ status: number; body: any }>, pick: (body: any) => string) => {
      const res = await request;
      if (res.status < 300) ids[name] = pick(res.body);
    };
    await keep('spareKey', admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'spare', scopes: ['read'] }), (b) => b.id);
    await keep('order', account.api.get('/v1/orders'), (b) => b.data[0].id);
    await keep('group', account.api.post('/v1/groups', { name: 'fuzz' }), (b) => b.id);
    await keep('webhook', account.api.post('/v1/webhooks', { url: 'http://93.184.215.14/hook', events: ['*'], enabled: false }), (b) => b.id);
    await keep('alertRule', account.api.post('/v1/alert-rules', { type: 'imei_change', scope: { iccid: sims[0] } }), (b) => b.id);
    await keep(
      'supportCase',
      account.api.post('/v1/support-cases', { subject: 'Fuzz', description: 'A case for the fuzz test.', severity: 'low', iccids: [sims[0]] }),
      (b) => b.id,
    );
    await keep('invoice', admin.post('/v1/invoices', { period: LAST_MONTH, accountId: account.accountId }), (b) => b.data[0].id);
    await keep('job', account.api.post('/v1/sims/bulk', { action: 'suspend', iccids: [sims[2]] }), (b) => b.id);
    await keep('sms', account.api.post(`/v1/sims/${sims[0]}/sms`, { text: 'hello' }), (b) => b.id);
    world = { admin, account, ids };
  }, 300_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  }, 120_000);

  it('no input gets a 5xx, errors are problem+json, responses match the document, refused requests change nothing', async () => {
    const contract = (await contractOf(platform.url))!;
    const generator = new SchemaGenerator(contract.document);
    const fingerprint = await fingerprinter(platform.platform.app.get(Database));
    const failures: string[] = [];
    // Deletions last, so that the resources other operations use live as long as possible.
    const order = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
    const operations = [...contract.operations].sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method));
    expect(operations.length).toBeGreaterThan(80);
    let requests = 0;

    for (const op of operations) {
      const { valid, bad } = casesOf(op, world, generator, contract);
      // Which key: the account's, unless the operation is the platform admin's.
      const probe = await send(platform.url, world.account.writeKey, op.method, valid[0]);
      const adminOnly = probe.status === 403 && /admin/.test(probe.text);
      const key = adminOnly ? ADMIN_KEY : world.account.writeKey;
      const check = (c: Case, response: { status: number; type: string | null; text: string }) => {
        const where = `${op.name} [${c.label}] → ${response.status}`;
        if (response.status >= 500) failures.push(`${where}: a 5xx (${response.text.slice(0, 200)})`);
        if (response.status >= 400 && !(response.type ?? '').startsWith('application/problem+json'))
          failures.push(`${where}: an error that is not application/problem+json (${response.type})`);
        for (const drift of contract.check(op.method, `${c.path}${queryString(c.query)}`, response.status, response.type, response.text))
          failures.push(`${where}: contract: ${drift}`);
        if (c.mustRefuse && response.status < 400) failures.push(`${where}: the document says this request is invalid, yet it was accepted`);
        if (c.allowedField && response.status === 422 && refusedFields(response.text).includes(c.allowedField))
          failures.push(`${where}: the document allows this value, yet it was refused (${response.text.slice(0, 200)})`);
      };

      const mutating = op.method !== 'GET';
      let before = mutating ? await fingerprint() : '';
      for (const c of bad) {
        const response = await send(platform.url, key, op.method, c);
        requests++;
        check(c, response);
        if (!mutating) continue;
        let after = await fingerprint();
        if (response.status >= 400 && after !== before) {
          // Something in the background (a job, a scan) may have written meanwhile: the same request again must leave the database as it is.
          await new Promise((r) => setTimeout(r, 300));
          before = await fingerprint();
          await send(platform.url, key, op.method, c);
          after = await fingerprint();
          if (after !== before)
            failures.push(`${op.name} [${c.label}] → ${response.status}: refused, yet the database changed (${diff(before, after).join(', ')})`);
        }
        before = after;
      }

      for (const c of valid) {
        const response = await send(platform.url, key, op.method, c);
        requests++;
        check(c, response);
      }
    }
    process.stdout.write(`api-fuzz (${shape}): ${operations.length} operations, ${requests} requests, seed ${SEED}\n`);
    expect(failures).toEqual([]);
  }, 1_800_000);
});
