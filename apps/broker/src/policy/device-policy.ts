import { DOWN_CHANNELS, Topics, UP_CHANNELS, type DownChannel, type UpChannel } from '@simfleet/domain';
import type { ConnectRequest } from '../mqtt/aedes-adapter.js';

/** A device: a SIM's credentials (docs/mqtt.md). */
export interface DeviceIdentity {
  kind: 'device';
  iccid: string;
  accountId: string;
}

/** A backend of an account subscribing to its SIMs' telemetry (an API key with the `mqtt` scope). */
export interface IntegrationIdentity {
  kind: 'integration';
  accountId: string;
  keyId: string;
}

export type Identity = DeviceIdentity | IntegrationIdentity;

/** A CONNECT refused after authentication, with its CONNACK code. */
export interface ConnectRefusal {
  returnCode: 2 | 5;
  reason: 'client_id_rejected' | 'will_not_allowed';
  message: string;
}

/** Channels an integration may subscribe to, on every SIM of its account (`+`) or one of them. */
const INTEGRATION_CHANNELS = ['sessions', 'location', 'status', 'errors'];

// What MQTT 3.1.1 forbids in a UTF-8 string (U+0000), and what ill-formed UTF-8 decodes to (U+FFFD): such a
// topic or client id closes the connection [MQTT-1.5.3-1, MQTT-1.5.3-2]. No valid topic of ours holds either.
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what is looked for
const FORBIDDEN_CHARACTERS = /[\u0000\uFFFD]/;

/**
 * The broker's device policy, with no MQTT library in it: who owns a session, what a will may be, what a
 * device or an integration may publish, subscribe to and receive. MqttBroker applies it to aedes.
 */
export class DevicePolicy {
  /**
   * The key a client's session is stored under: the client id as sent, within its owner's namespace. A
   * client id used by another SIM (of this account or another) names another session, so it can neither
   * take over this one, nor receive what is queued for it, nor kick this connection.
   */
  sessionKey(identity: Identity, clientId: string): string {
    return identity.kind === 'device' ? `device/${identity.iccid}/${clientId}` : `integration/${identity.accountId}/${clientId}`;
  }

  /** The owner of a session key (a persisted will names its owner only by it); null for anything else. */
  ownerOfSession(sessionKey: string): { kind: 'device'; iccid: string } | { kind: 'integration'; accountId: string } | null {
    const match = /^(device|integration)\/([^/]+)\//.exec(sessionKey);
    if (!match) return null;
    return match[1] === 'device' ? { kind: 'device', iccid: match[2] } : { kind: 'integration', accountId: match[2] };
  }

  /** Whether a topic, client id or username must close the connection (U+0000, or ill-formed UTF-8). */
  malformed(text: string): boolean {
    return FORBIDDEN_CHARACTERS.test(text);
  }

  /**
   * Checks what a CONNECT asks for once its credentials are known: its client id, and its will, which is a
   * publish like any other and must be one the identity may make (a device: to its own up topics).
   */
  checkConnect(identity: Identity, request: ConnectRequest): ConnectRefusal | null {
    // [MQTT-3.1.3-7, 3.1.3-8]: with an empty client id the server assigns one, only for a clean session;
    // MQTT 3.1 requires 1 to 23 characters.
    if (request.clientId === '' && (!request.clean || request.protocolVersion === 3)) {
      return {
        returnCode: 2,
        reason: 'client_id_rejected',
        message: 'an empty client id is accepted only with clean session (MQTT 3.1.1); set a client id to keep a session',
      };
    }
    if (this.malformed(request.clientId))
      return { returnCode: 2, reason: 'client_id_rejected', message: 'the client id holds U+0000 or ill-formed UTF-8' };
    if (!request.will) return null;
    if (identity.kind === 'integration')
      return { returnCode: 5, reason: 'will_not_allowed', message: 'an integration may not publish, nor set a will' };
    if (this.malformed(request.will.topic) || !this.publishChannel(identity, request.will.topic)) {
      return {
        returnCode: 5,
        reason: 'will_not_allowed',
        message: `a device's will may only be published to its own ${Topics.up(identity.iccid, 'status')}, /sessions or /location`,
      };
    }
    return null;
  }

  /** The up channel a device may publish this topic to (its own), or null. */
  publishChannel(identity: DeviceIdentity, topic: string): UpChannel | null {
    const parsed = Topics.parse(topic);
    return parsed && parsed.iccid === identity.iccid && (UP_CHANNELS as readonly string[]).includes(parsed.channel)
      ? (parsed.channel as UpChannel)
      : null;
  }

  /** Whether a device may subscribe to a topic: only its own down topics. */
  deviceMaySubscribe(identity: DeviceIdentity, topic: string): boolean {
    return this.ownDownChannel(identity, topic) !== null;
  }

  /**
   * An integration's subscription, as granted: `things/{+|iccid}/{channel|+}` (or its rewritten form, when a
   * persisted session is restored) → the account-scoped topic it is stored as; null when not allowed. `sim`
   * is the ICCID to check for ownership (null for `+`).
   */
  integrationSubscription(identity: IntegrationIdentity, topic: string): { topic: string; sim: string | null } | null {
    const prefix = Topics.accountPrefix(identity.accountId);
    const requested = topic.startsWith(prefix) ? topic.slice(prefix.length) : topic;
    const match = /^things\/([^/#]+)\/([^/#]+)$/.exec(requested);
    if (!match || !(match[2] === '+' || INTEGRATION_CHANNELS.includes(match[2])) || (match[1].includes('+') && match[1] !== '+')) return null;
    return { topic: Topics.account(identity.accountId, match[1], match[2]), sim: match[1] === '+' ? null : match[1] };
  }

  /**
   * What a subscriber may receive (aedes asks for every delivery, queued ones included). A device: only
   * its own down topics, and only what the platform publishes there (never a client's publish, such as a
   * will, whatever reached that topic). An integration: its account's scoped topics, given back their
   * device topic.
   */
  forwardedTopic(identity: Identity, topic: string, fromClient: boolean): string | null {
    if (identity.kind === 'device') return !fromClient && this.ownDownChannel(identity, topic) ? topic : null;
    const prefix = Topics.accountPrefix(identity.accountId);
    return topic.startsWith(prefix) ? topic.slice(prefix.length) : null;
  }

  private ownDownChannel(identity: DeviceIdentity, topic: string): DownChannel | null {
    const parsed = Topics.parse(topic);
    return parsed && parsed.iccid === identity.iccid && (DOWN_CHANNELS as readonly string[]).includes(parsed.channel)
      ? (parsed.channel as DownChannel)
      : null;
  }
}
