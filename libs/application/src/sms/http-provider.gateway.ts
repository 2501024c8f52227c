import type { SmsMessage } from '@simfleet/domain';
import { SmsGateway, type SubmitOutcome } from './sms-gateway.js';

const SUBMIT_TIMEOUT_MS = 10_000;

/** The provider's answer to a submission (docs/sms.md, "HTTP SMS provider"). */
interface ProviderAccepted {
  id: string;
}

/**
 * A real SMS provider over HTTP: POST JSON with a bearer token; delivery reports come back later on
 * POST /v1/sms-provider/delivery-reports, authenticated by a shared secret.
 */
export class HttpProviderGateway extends SmsGateway {
  readonly name = 'http-provider' as const;

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {
    super();
  }

  async submit(message: SmsMessage, destination: { iccid: string; msisdn: string | null }): Promise<SubmitOutcome> {
    if (!destination.msisdn) return { accepted: false, reason: 'the SIM has no MSISDN: a provider cannot address it' };
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          reference: message.id,
          to: destination.msisdn,
          text: message.text,
          encoding: message.encoding,
          segments: message.segments,
          validityPeriodSeconds: Math.max(1, Math.round((message.validityUntil.getTime() - message.createdAt.getTime()) / 1000)),
          kind: message.kind,
        }),
        signal: AbortSignal.timeout(SUBMIT_TIMEOUT_MS),
      });
    } catch (error) {
      return { accepted: false, reason: `the SMS provider could not be reached: ${error instanceof Error ? error.message : String(error)}` };
    }
    const text = await response.text();
    if (!response.ok) return { accepted: false, reason: `the SMS provider refused the message (HTTP ${response.status}): ${text.slice(0, 300)}` };
    let body: Partial<ProviderAccepted>;
    try {
      body = JSON.parse(text) as Partial<ProviderAccepted>;
    } catch {
      return { accepted: false, reason: `the SMS provider answered HTTP ${response.status} without a JSON body` };
    }
    if (typeof body.id !== 'string' || !body.id) return { accepted: false, reason: 'the SMS provider answered without a message id' };
    return { accepted: true, gatewayMessageId: body.id, status: 'sent' };
  }
}
