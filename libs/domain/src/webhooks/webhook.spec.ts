import { Webhook } from 'standardwebhooks';
import { matchesEventPattern, nextStep, parseRetryAfter, parseRetrySchedule, signatureHeader, signPayload } from './webhook.js';

const SECRET = `whsec_${Buffer.from('0123456789abcdef01234567').toString('base64')}`;
const OTHER = `whsec_${Buffer.from('fedcba9876543210fedcba98').toString('base64')}`;

describe('webhook signatures', () => {
  it('match the Standard Webhooks reference library', () => {
    const at = new Date('2026-11-28T12:00:00Z');
    const body = JSON.stringify({ id: 'evt', type: 'sim.suspended', data: { iccid: '89883030000000000001' } });
    expect(signPayload(SECRET, 'msg_1', at.getTime() / 1000, body)).toBe(new Webhook(SECRET).sign('msg_1', at, body));
  });

  it('carry the previous secret’s signature only during the rotation overlap', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    const endpoint = { secret: SECRET, previousSecret: OTHER, previousSecretExpiresAt: new Date(now.getTime() + 1000) };
    const during = signatureHeader(endpoint, 'msg', 1, '{}', now).split(' ');
    expect(during).toEqual([signPayload(SECRET, 'msg', 1, '{}'), signPayload(OTHER, 'msg', 1, '{}')]);
    expect(signatureHeader(endpoint, 'msg', 1, '{}', new Date(now.getTime() + 1000)).split(' ')).toEqual([signPayload(SECRET, 'msg', 1, '{}')]);
  });
});

describe('event patterns', () => {
  it.each([
    ['sim.*', 'sim.suspended', true],
    ['sim.*', 'sim.location.updated', true],
    ['sim.*', 'session.started', false],
    ['alert.raised', 'alert.raised', true],
    ['alert.raised', 'alert.resolved', false],
    ['*', 'order.created', true],
  ])('%s selects %s: %s', (pattern, type, expected) => {
    expect(matchesEventPattern(pattern, type)).toBe(expected);
  });
});

describe('retry schedule', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  const schedule = parseRetrySchedule('0s,5s,5m,30m,2h,5h,10h,10h');
  const step = (statusCode: number | null, retryIndex: number, retryAfter?: string) =>
    nextStep({ statusCode, retryAfter, retryIndex, schedule, now, maxRetryAfterMs: 86_400_000 });

  it('parses durations', () => {
    expect(schedule).toEqual([0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(parseRetrySchedule('0s,150ms')).toEqual([0, 150]);
    expect(() => parseRetrySchedule('0s,soon')).toThrow('not a duration');
  });

  it('succeeds on 2xx, gives up on 410 and at the end of the schedule', () => {
    expect(step(204, 1)).toEqual({ kind: 'succeeded' });
    expect(step(410, 1)).toEqual({ kind: 'gone' });
    expect(step(500, 8)).toEqual({ kind: 'exhausted' });
  });

  it('retries non-2xx and network errors at the next delay', () => {
    expect(step(500, 1)).toEqual({ kind: 'retry', at: new Date(now.getTime() + 5000) });
    expect(step(null, 2)).toEqual({ kind: 'retry', at: new Date(now.getTime() + 300_000) });
  });

  it('honours Retry-After on 429 and 503 when it asks for more than the schedule', () => {
    expect(step(429, 1, '120')).toEqual({ kind: 'retry', at: new Date(now.getTime() + 120_000) });
    expect(step(503, 1, new Date(now.getTime() + 60_000).toUTCString())).toEqual({ kind: 'retry', at: new Date(now.getTime() + 60_000) });
    expect(step(429, 2, '1')).toEqual({ kind: 'retry', at: new Date(now.getTime() + 300_000) });
    expect(step(500, 1, '120')).toEqual({ kind: 'retry', at: new Date(now.getTime() + 5000) });
    expect(step(429, 1, '9999999')).toEqual({ kind: 'retry', at: new Date(now.getTime() + 86_400_000) });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('whenever', now)).toBeNull();
  });
});
