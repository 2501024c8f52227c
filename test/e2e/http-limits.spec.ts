import { connect, type Socket } from 'node:net';
import { ApiClient } from './support/http.js';
import { ADMIN_KEY, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

// Timeouts and body limits are the HTTP layer's (Fastify and Node's server), the same whatever the shape:
// this suite runs the embedded one. Real sockets, real slowness: a client that trickles its body, one that
// announces more bytes than it sends, one that never finishes its headers.

interface RawAnswer {
  text: string;
  status: number;
  /** Milliseconds from the first byte sent to the connection's close. */
  closedAfterMs: number;
  body: any;
}

/** Sends `head`, then each of `trickle` after `intervalMs`, until the server answers and closes (or `giveUpMs`). */
function rawExchange(port: number, head: string, trickle: string[] = [], intervalMs = 1_000, giveUpMs = 20_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    const timers: NodeJS.Timeout[] = [];
    const finish = () => {
      timers.forEach(clearTimeout);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const raw = text.split('\r\n\r\n').slice(1).join('\r\n\r\n');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // Not JSON: kept as text for the assertion message.
      }
      resolve({ text, status, closedAfterMs: Date.now() - started, body });
    };
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(head);
      trickle.forEach((piece, i) =>
        timers.push(
          setTimeout(
            () => {
              if (!socket.destroyed) socket.write(piece);
            },
            (i + 1) * intervalMs,
          ),
        ),
      );
    });
    timers.push(
      setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer within ${giveUpMs} ms; got so far: ${text.slice(0, 300)}`));
      }, giveUpMs),
    );
  });
}

describe('HTTP timeouts and body limits (embedded shape)', () => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let port: number;

  beforeAll(async () => {
    resources = await provisionShape('embedded');
    platform = await startTestPlatform(resources.env, undefined, { HTTP_HEADERS_TIMEOUT: '2s', HTTP_REQUEST_TIMEOUT: '4s' });
    port = Number(new URL(platform.url).port);
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  }, 60_000);

  const post = (path: string, headers: Record<string, string>) =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`;

  it.each([
    ['with a key', { authorization: `Bearer ${ADMIN_KEY}` }],
    ['without a key', {}],
  ])(
    'answers a body trickling one byte a second with 408 at the request timeout, %s',
    async (_, auth) => {
      const body = JSON.stringify({ name: 'Slow Fleet' });
      const answer = await rawExchange(
        port,
        post('/v1/accounts', { ...auth, 'content-type': 'application/json', 'content-length': String(body.length) }),
        body.split(''),
        1_000,
      );
      expect(answer.status).toBe(408);
      expect(answer.text).toMatch(/content-type: application\/problem\+json/i);
      expect(answer.body).toMatchObject({ type: '/problems/request-timeout', status: 408 });
      // 4 s of request timeout, checked every second; far from the minutes a trickling client held a connection before.
      expect(answer.closedAfterMs).toBeGreaterThanOrEqual(3_500);
      expect(answer.closedAfterMs).toBeLessThan(8_000);
      // Nothing was created.
      const accounts = await new ApiClient(platform.url, ADMIN_KEY).get('/v1/accounts?limit=1000');
      expect(accounts.body.data.map((a: { name: string }) => a.name)).not.toContain('Slow Fleet');
    },
    30_000,
  );

  it('answers a Content-Length longer than the body with 408 instead of waiting for ever', async () => {
    const answer = await rawExchange(
      port,
      `${post('/v1/accounts', { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'content-length': '500' })}{"name":"x"}`,
    );
    expect(answer.status).toBe(408);
    expect(answer.body).toMatchObject({ type: '/problems/request-timeout' });
    expect(answer.closedAfterMs).toBeLessThan(8_000);
  }, 30_000);

  it('answers headers that never end with 408 at the headers timeout', async () => {
    const answer = await rawExchange(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n', [
      'x-slow-1: a\r\n',
      'x-slow-2: b\r\n',
      'x-slow-3: c\r\n',
      'x-slow-4: d\r\n',
    ]);
    expect(answer.status).toBe(408);
    expect(answer.closedAfterMs).toBeLessThan(6_000);
  }, 30_000);

  it('refuses a body over the operation’s limit from its Content-Length, before authentication and before reading it', async () => {
    const started = Date.now();
    const answer = await rawExchange(port, post('/v1/accounts', { 'content-type': 'application/json', 'content-length': String(20 * 1024 * 1024) }));
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ type: '/problems/payload-too-large', status: 413, maxBodyBytes: 65536 });
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 30_000);

  it('refuses a chunked body once it passes the limit', async () => {
    const chunk = 'x'.repeat(16 * 1024);
    const chunked = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const answer = await rawExchange(
      port,
      post('/v1/accounts', { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' }) +
        '5\r\n{"a":\r\n',
      Array(6).fill(chunked),
      100,
    );
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ type: '/problems/payload-too-large' });
  }, 30_000);

  it('documents each operation’s body limit, and enforces it', async () => {
    const api = new ApiClient(platform.url, ADMIN_KEY);
    const document = (await api.get('/openapi.json')).body;
    expect(document.paths['/v1/accounts'].post['x-max-body-bytes']).toBe(65536);
    expect(document.paths['/v1/usage-events'].post['x-max-body-bytes']).toBe(8 * 1024 * 1024);
    expect(document.paths['/v1/stock'].post['x-max-body-bytes']).toBe(16 * 1024 * 1024);
    expect(document.paths['/v1/orders/{id}/cancel'].post['x-max-body-bytes']).toBe(1024);
    const big = await api.post('/v1/accounts', { name: 'x'.repeat(70_000) });
    expect(big.status).toBe(413);
    expect(big.body.detail).toBe('The request body exceeds the 65536 bytes this operation accepts');
  });

  it('documents a maximum length for every string and list an operation takes (headers are bounded by the server: 431)', async () => {
    const document = (await new ApiClient(platform.url, ADMIN_KEY).get('/openapi.json')).body;
    expect(unboundedInputs(document)).toEqual([]);
  });
});

/** Every string without maxLength (nor enum) and every array without maxItems in the parameters and bodies of the document. */
function unboundedInputs(document: Record<string, any>): string[] {
  const found: string[] = [];
  const resolve = (schema: Record<string, any>) =>
    schema?.$ref
      ? String(schema.$ref)
          .replace('#/', '')
          .split('/')
          .reduce((node: any, part: string) => node?.[part], document)
      : schema;
  const walk = (raw: Record<string, any> | undefined, where: string, depth = 0): void => {
    const schema = resolve(raw ?? {});
    if (!schema || typeof schema !== 'object' || depth > 20) return;
    for (const key of ['anyOf', 'oneOf', 'allOf']) for (const option of schema[key] ?? []) walk(option, where, depth + 1);
    if (schema.type === 'string' && schema.maxLength === undefined && !schema.enum && schema.const === undefined)
      found.push(`${where}: a string without maxLength`);
    if (schema.type === 'array' && schema.maxItems === undefined) found.push(`${where}: a list without maxItems`);
    for (const [name, property] of Object.entries<Record<string, any>>(schema.properties ?? {})) walk(property, `${where}/${name}`, depth + 1);
    if (schema.items) walk(schema.items, `${where}/*`, depth + 1);
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, `${where}/{}`, depth + 1);
  };
  for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<Record<string, any>>(item)) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'header') walk(parameter.schema, `${method.toUpperCase()} ${path} ${parameter.in} ${parameter.name}`);
      }
      for (const [media, content] of Object.entries<Record<string, any>>(operation.requestBody?.content ?? {})) {
        walk(content.schema, `${method.toUpperCase()} ${path} body (${media})`);
      }
    }
  }
  return found;
}
