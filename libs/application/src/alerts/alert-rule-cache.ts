import { Inject, Injectable } from '@nestjs/common';
import type { AlertRule } from '@simfleet/domain';
import { type SqlExecutor, AlertRuleRepository } from '@simfleet/persistence';

/**
 * Enabled rules per account, kept briefly in memory so that ingesting a batch of an account without
 * rules costs no query. A change through the API clears this process's entry at once; other worker
 * processes see it within TTL_MS.
 */
@Injectable()
export class AlertRuleCache {
  static readonly TTL_MS = 5_000;
  private static readonly MAX_ACCOUNTS = 10_000;
  private readonly entries = new Map<string, { rules: Promise<AlertRule[]>; expiresAt: number }>();

  constructor(@Inject(AlertRuleRepository) private readonly rules: AlertRuleRepository) {}

  /** `tx`: read through the caller's transaction on a miss (PGlite serialises queries behind an open one). */
  enabledRules(accountId: string, tx?: SqlExecutor, now = Date.now()): Promise<AlertRule[]> {
    const entry = this.entries.get(accountId);
    if (entry && entry.expiresAt > now) return entry.rules;
    if (this.entries.size >= AlertRuleCache.MAX_ACCOUNTS) this.entries.clear();
    const rules = this.rules.enabledOfAccount(accountId, tx);
    this.entries.set(accountId, { rules, expiresAt: now + AlertRuleCache.TTL_MS });
    // A failed read is not cached: the next batch (or the job's retry) reads again.
    rules.catch(() => this.entries.delete(accountId));
    return rules;
  }

  invalidate(accountId: string): void {
    this.entries.delete(accountId);
  }
}
