import type { SmsMessage } from '@simfleet/domain';

/** What a gateway says when handed a message. */
export type SubmitOutcome =
  /** Taken: the billing moment. `queued` = the gateway will attempt delivery; `sent` = already on the network. */
  | { accepted: true; gatewayMessageId: string; status: 'queued' | 'sent' }
  /** Refused: the message fails and is not billed. */
  | { accepted: false; reason: string };

/** A delivery report: a status reached later, as the gateway learns it. */
export interface SmsStatusReport {
  gatewayMessageId: string;
  status: 'sent' | 'delivered' | 'failed' | 'expired';
  reason?: string;
}

/**
 * The SMS gateway port: hands mobile-terminated SMS to the network. Chosen once in SmsModule from the
 * configuration: the network simulator (default, delivers over MQTT) or an HTTP SMS provider.
 */
export abstract class SmsGateway {
  /** Stored in `sms_messages.gateway`. */
  abstract readonly name: 'network-simulator' | 'http-provider';
  abstract submit(message: SmsMessage, destination: { iccid: string; msisdn: string | null }): Promise<SubmitOutcome>;
}
