import { Inject, Injectable } from '@nestjs/common';
import { principalHasScope } from '@simfleet/auth';
import { DomainError, ErrorCode } from '@simfleet/domain';
import { SimRepository } from '@simfleet/persistence';
import { ApiKeyAuthenticator } from '../accounts/accounts.usecases.js';

export type IntegrationAuthResult =
  { ok: true; accountId: string; keyId: string } | { ok: false; reason: 'bad_credentials' | 'not_authorized'; detail: string };

/** An account API key as the password: distinguishes an integration from a device (whose secret has no `key_` id). */
export const looksLikeApiKey = (password: string): boolean => /^key_[0-9A-HJKMNP-TV-Z]{26}\./.test(password);

/**
 * MQTT credentials of an integration (a backend subscribing to its account's telemetry): username = the
 * account id, password = an API key of that account holding the `mqtt` scope.
 */
@Injectable()
export class IntegrationAuthenticator {
  constructor(
    @Inject(ApiKeyAuthenticator) private readonly keys: ApiKeyAuthenticator,
    @Inject(SimRepository) private readonly sims: SimRepository,
  ) {}

  async authenticate(username: string | undefined, key: string): Promise<IntegrationAuthResult> {
    let principal;
    try {
      principal = await this.keys.authenticate(key);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.Unauthenticated)
        return { ok: false, reason: 'bad_credentials', detail: error.message };
      throw error;
    }
    if (principal.kind !== 'account' || principal.accountId !== username) {
      return { ok: false, reason: 'bad_credentials', detail: 'the username of an integration is the account id its API key belongs to' };
    }
    if (!principalHasScope(principal, 'mqtt')) return { ok: false, reason: 'not_authorized', detail: 'the API key lacks the mqtt scope' };
    return { ok: true, accountId: principal.accountId, keyId: principal.actor.id };
  }

  /** Whether a SIM (by ICCID) belongs to the account: an integration subscribes only to its own SIMs' topics. */
  async ownsSim(accountId: string, iccid: string): Promise<boolean> {
    const sim = await this.sims.findByRef(accountId, iccid);
    return sim?.iccid === iccid;
  }
}
