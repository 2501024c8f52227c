import { Inject, Injectable } from '@nestjs/common';
import {
  Clock,
  DomainError,
  type FieldProblem,
  domainEvent,
  type DomainEvent,
  newId,
  decodeCursor,
  toPage,
  type Page,
  iccidProblem,
  nextSupportStatus,
  type SupportCase,
  type SupportCaseChange,
  type SupportMessage,
  type SupportSeverity,
  type SupportStatus,
} from '@simfleet/domain';
import { Database, EventRepository, SupportCaseRepository, type SupportCaseFilter } from '@simfleet/persistence';

export interface OpenCaseInput {
  subject: string;
  description: string;
  severity: SupportSeverity;
  iccids: string[];
}

/** Who acts on a case: the account's customer or platform support; `keyId` is the API key's (or signed-in user's) id. */
export type SupportActor = { author: 'customer'; accountId: string; keyId: string } | { author: 'support'; keyId: string };

/** Dedicated support: cases about SIMs of an account, a conversation, and a status (docs/support.md). */
@Injectable()
export class SupportService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SupportCaseRepository) private readonly cases: SupportCaseRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async open(accountId: string, openedBy: string, input: OpenCaseInput): Promise<SupportCase> {
    const iccids = [...new Set(input.iccids)];
    const problems: FieldProblem[] = [];
    iccids.forEach((iccid, i) => {
      const problem = iccidProblem(iccid);
      if (problem) problems.push({ field: `iccids/${i}`, message: problem });
    });
    if (!problems.length) {
      const owned = await this.cases.ownedIccids(accountId, iccids);
      iccids.forEach((iccid, i) => {
        if (!owned.has(iccid)) problems.push({ field: `iccids/${i}`, message: `no SIM ${iccid} in this account` });
      });
    }
    if (problems.length)
      throw DomainError.validation(`The case names SIMs it cannot be about: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
    const now = this.clock.now();
    const supportCase: SupportCase = {
      id: newId('case'),
      accountId,
      subject: input.subject,
      description: input.description,
      severity: input.severity,
      status: 'open',
      iccids,
      openedBy,
      closedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.db.transaction(async (tx) => {
      await this.cases.insert(tx, supportCase);
      await this.events.append(tx, [
        domainEvent(
          'support_case.opened',
          accountId,
          supportCase.id,
          { caseId: supportCase.id, subject: supportCase.subject, severity: supportCase.severity, iccids },
          now,
        ),
      ]);
    });
    return supportCase;
  }

  /** A case of the account; another account's case is a 404 (its existence is not revealed). */
  async get(accountId: string | null, id: string): Promise<SupportCase> {
    const found = await this.cases.findById(id);
    if (!found || (accountId !== null && found.accountId !== accountId)) throw DomainError.notFound('Support case', id);
    return found;
  }

  async list(filter: SupportCaseFilter, limit: number, cursor?: string): Promise<Page<SupportCase>> {
    const rows = await this.cases.list(filter, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (c) => c.id);
  }

  async messages(accountId: string | null, id: string, limit: number, cursor?: string): Promise<Page<SupportMessage>> {
    await this.get(accountId, id);
    const rows = await this.cases.listMessages(id, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (m) => m.id);
  }

  /** Adds a message; the status follows (customer → open, support → the status support chose, default waiting). */
  async addMessage(
    actor: SupportActor,
    id: string,
    body: string,
    supportStatus: SupportStatus = 'waiting',
  ): Promise<{ case: SupportCase; message: SupportMessage }> {
    const change: SupportCaseChange = actor.author === 'customer' ? { kind: 'customer-message' } : { kind: 'support-reply', status: supportStatus };
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const current = await this.cases.findById(id, tx, true);
      if (!current || (actor.author === 'customer' && current.accountId !== actor.accountId)) throw DomainError.notFound('Support case', id);
      const message: SupportMessage = { id: newId('msg'), caseId: id, author: actor.author, authorKeyId: actor.keyId, body, createdAt: now };
      await this.cases.insertMessage(tx, message);
      const status = nextSupportStatus(current.status, change, id);
      const updated = await this.cases.setStatus(tx, id, status, now);
      await this.events.append(tx, [this.statusEvent(current, updated, now, { messageId: message.id, author: actor.author })]);
      return { case: updated, message };
    });
  }

  async close(accountId: string, id: string): Promise<SupportCase> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const current = await this.cases.findById(id, tx, true);
      if (!current || current.accountId !== accountId) throw DomainError.notFound('Support case', id);
      const updated = await this.cases.setStatus(tx, id, nextSupportStatus(current.status, { kind: 'customer-close' }, id), now);
      await this.events.append(tx, [this.statusEvent(current, updated, now, { closedBy: 'customer' })]);
      return updated;
    });
  }

  private statusEvent(before: SupportCase, after: SupportCase, at: Date, extra: Record<string, unknown>): DomainEvent {
    const type = after.status === 'closed' && before.status !== 'closed' ? 'support_case.closed' : 'support_case.updated';
    return domainEvent(type, after.accountId, after.id, { caseId: after.id, previousStatus: before.status, status: after.status, ...extra }, at);
  }
}
