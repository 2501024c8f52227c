import { DevicePolicy, type DeviceIdentity, type IntegrationIdentity } from './device-policy.js';

const policy = new DevicePolicy();
const device: DeviceIdentity = { kind: 'device', iccid: '8988303000000000011', accountId: 'acc_a' };
const neighbour: DeviceIdentity = { kind: 'device', iccid: '8988303000000000012', accountId: 'acc_a' };
const stranger: DeviceIdentity = { kind: 'device', iccid: '8988303000000000099', accountId: 'acc_b' };
const integration: IntegrationIdentity = { kind: 'integration', accountId: 'acc_a', keyId: 'key_1' };
const request = (extra: object = {}) => ({ clientId: 'device-0001', clean: false, protocolVersion: 4, will: null, ...extra });
const will = (topic: string, retain = false) => ({ topic, payload: Buffer.from('{}'), qos: 1, retain });

describe('DevicePolicy', () => {
  describe('sessions', () => {
    it('keys a session by its owner: one client id used by two SIMs (or an integration) names three sessions', () => {
      const keys = [device, neighbour, stranger, integration].map((identity) => policy.sessionKey(identity, 'device-0001'));
      expect(new Set(keys).size).toBe(4);
      expect(policy.ownerOfSession(policy.sessionKey(device, 'a/b/c'))).toEqual({ kind: 'device', iccid: device.iccid });
      expect(policy.ownerOfSession(policy.sessionKey(integration, 'x'))).toEqual({ kind: 'integration', accountId: 'acc_a' });
      expect(policy.ownerOfSession('device-0001')).toBeNull();
      expect(policy.ownerOfSession('aedes_0c6f')).toBeNull();
    });
  });

  describe('CONNECT', () => {
    it('refuses an empty client id with clean=false (and on MQTT 3.1) with CONNACK 2, accepts it with clean=true', () => {
      expect(policy.checkConnect(device, request({ clientId: '', clean: false }))).toMatchObject({ returnCode: 2, reason: 'client_id_rejected' });
      expect(policy.checkConnect(device, request({ clientId: '', clean: true, protocolVersion: 3 }))).toMatchObject({ returnCode: 2 });
      expect(policy.checkConnect(device, request({ clientId: '', clean: true }))).toBeNull();
      expect(policy.checkConnect(device, request({ clientId: 'a\u0000b' }))).toMatchObject({ returnCode: 2 });
    });

    it("accepts a will on the device's own up topics only; refuses down topics, other SIMs' and internal topics with CONNACK 5", () => {
      for (const topic of [`things/${device.iccid}/status`, `things/${device.iccid}/sessions`, `things/${device.iccid}/location`])
        expect(policy.checkConnect(device, request({ will: will(topic) }))).toBeNull();
      for (const topic of [
        `things/${device.iccid}/commands`,
        `things/${device.iccid}/sms`,
        `things/${neighbour.iccid}/status`,
        `things/${stranger.iccid}/commands`,
        `$simfleet/accounts/acc_b/things/${stranger.iccid}/sessions`,
        `things/${device.iccid}/status\u0000`,
        'things/#',
      ])
        expect(policy.checkConnect(device, request({ will: will(topic, true) }))).toMatchObject({ returnCode: 5, reason: 'will_not_allowed' });
    });

    it('refuses any will of an integration', () => {
      expect(policy.checkConnect(integration, request({ will: will(`things/${device.iccid}/status`) }))).toMatchObject({ returnCode: 5 });
      expect(policy.checkConnect(integration, request())).toBeNull();
    });
  });

  describe('publish, subscribe, forward', () => {
    it('lets a device publish to its own up topics only', () => {
      expect(policy.publishChannel(device, `things/${device.iccid}/sessions`)).toBe('sessions');
      expect(policy.publishChannel(device, `things/${device.iccid}/errors`)).toBeNull();
      expect(policy.publishChannel(device, `things/${neighbour.iccid}/sessions`)).toBeNull();
      expect(policy.publishChannel(device, `$simfleet/accounts/acc_a/things/${device.iccid}/sessions`)).toBeNull();
    });

    it('flags U+0000 and what ill-formed UTF-8 decodes to', () => {
      expect(policy.malformed('things/1/status')).toBe(false);
      expect(policy.malformed('things/\u0000/status')).toBe(true);
      expect(policy.malformed(Buffer.from([0x74, 0xff, 0x2f]).toString('utf8'))).toBe(true);
    });

    it("delivers to a device only the platform's messages on its own down topics, never a client's publish", () => {
      expect(policy.forwardedTopic(device, `things/${device.iccid}/commands`, false)).toBe(`things/${device.iccid}/commands`);
      expect(policy.forwardedTopic(device, `things/${device.iccid}/commands`, true)).toBeNull();
      expect(policy.forwardedTopic(device, `things/${neighbour.iccid}/sms`, false)).toBeNull();
      expect(policy.forwardedTopic(device, `things/${device.iccid}/sessions`, false)).toBeNull();
    });

    it("gives an integration its account's scoped topics back as device topics, nothing else", () => {
      expect(policy.forwardedTopic(integration, `$simfleet/accounts/acc_a/things/${device.iccid}/sessions`, true)).toBe(
        `things/${device.iccid}/sessions`,
      );
      expect(policy.forwardedTopic(integration, `$simfleet/accounts/acc_b/things/${stranger.iccid}/sessions`, true)).toBeNull();
      expect(policy.forwardedTopic(integration, `things/${device.iccid}/commands`, false)).toBeNull();
    });

    it('rewrites an integration subscription to its account scope, and refuses wildcards beyond one SIM level', () => {
      expect(policy.integrationSubscription(integration, 'things/+/sessions')).toEqual({
        topic: '$simfleet/accounts/acc_a/things/+/sessions',
        sim: null,
      });
      expect(policy.integrationSubscription(integration, `things/${device.iccid}/+`)).toEqual({
        topic: `$simfleet/accounts/acc_a/things/${device.iccid}/+`,
        sim: device.iccid,
      });
      expect(policy.integrationSubscription(integration, '$simfleet/accounts/acc_a/things/+/status')?.topic).toBe(
        '$simfleet/accounts/acc_a/things/+/status',
      );
      for (const topic of ['things/#', '$simfleet/#', 'things/+/commands', 'things/a+/sessions', '$simfleet/accounts/acc_b/things/+/sessions'])
        expect(policy.integrationSubscription(integration, topic)).toBeNull();
      expect(policy.deviceMaySubscribe(device, `things/${device.iccid}/sms`)).toBe(true);
      expect(policy.deviceMaySubscribe(device, `things/${neighbour.iccid}/sms`)).toBe(false);
    });
  });
});
