// The SMS downlink across processes: requests reach every broker over Redis pub/sub and the broker
// holding the device answers; the others answer `absent`, so "not connected" needs no timeout.
import { LocalSmsDownlink, RedisSmsDownlink, type DeviceSms } from '@simfleet/application';
import { requireServers, serverUrl, uniqueRedisPrefix } from '../harness/isolation.js';

const sms: DeviceSms = { id: 'sms_1', kind: 'wake-up', text: 'WAKE-UP', encoding: 'gsm7', segments: 1, sentAt: '2026-11-28T12:00:00.000Z' };

describe('LocalSmsDownlink', () => {
  it('asks the in-process broker, and reports not-connected without one holding the device', async () => {
    const downlink = new LocalSmsDownlink();
    expect(await downlink.deliver('8988303000000000012', sms)).toBe('not-connected');
    await downlink.onDeliver(async (iccid) => (iccid === '8988303000000000012' ? 'delivered' : null));
    expect(await downlink.deliver('8988303000000000012', sms)).toBe('delivered');
    expect(await downlink.deliver('8988303000000000020', sms)).toBe('not-connected');
  });
});

requireServers('redis')('RedisSmsDownlink', () => {
  const open: RedisSmsDownlink[] = [];
  const downlink = (prefix: string, replyTimeoutMs = 10_000) => {
    const d = new RedisSmsDownlink(serverUrl('redis'), prefix, replyTimeoutMs);
    open.push(d);
    return d;
  };

  afterEach(async () => {
    for (const d of open.splice(0)) await d.close();
  });

  // Requesters below wait up to 10 minutes for answers: a result within the test's timeout shows it did not wait.
  const PATIENT = 600_000;

  it('reports not-connected without waiting when no broker listens', async () => {
    expect(await downlink(uniqueRedisPrefix('sms'), PATIENT).deliver('iccid-1', sms)).toBe('not-connected');
  });

  it('carries the request to the broker holding the device and its answer back', async () => {
    const prefix = uniqueRedisPrefix('sms');
    const received: Array<[string, DeviceSms]> = [];
    const brokerA = downlink(prefix);
    const brokerB = downlink(prefix);
    await brokerA.onDeliver(async (iccid, message) => {
      received.push([iccid, message]);
      return iccid === 'iccid-on-a' ? 'delivered' : null;
    });
    await brokerB.onDeliver(async (iccid) => (iccid === 'iccid-on-b' ? 'not-subscribed' : null));
    // The requester runs in another process (the worker): its own connection.
    const requester = downlink(prefix, PATIENT);
    expect(await requester.deliver('iccid-on-a', sms)).toBe('delivered');
    expect(received).toEqual([['iccid-on-a', sms]]);
    expect(await requester.deliver('iccid-on-b', sms)).toBe('not-subscribed');
    // Every broker answers `absent`: no need to wait for the timeout.
    expect(await requester.deliver('iccid-nowhere', sms)).toBe('not-connected');
  });

  it('times out to not-connected when a broker never answers', async () => {
    const prefix = uniqueRedisPrefix('sms');
    const stuck = downlink(prefix);
    await stuck.onDeliver(() => new Promise(() => {}));
    expect(await downlink(prefix, 300).deliver('iccid-1', sms)).toBe('not-connected');
  });
});
