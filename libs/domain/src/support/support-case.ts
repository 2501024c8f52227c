import { DomainError, ErrorCode } from '../errors/domain-error.js';

export const SUPPORT_SEVERITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type SupportSeverity = (typeof SUPPORT_SEVERITIES)[number];

/** open: support's turn · waiting: the customer's turn · closed: resolved (a customer message reopens it). */
export const SUPPORT_STATUSES = ['open', 'waiting', 'closed'] as const;
export type SupportStatus = (typeof SUPPORT_STATUSES)[number];

export type SupportAuthor = 'customer' | 'support';

export interface SupportCase {
  id: string;
  accountId: string;
  subject: string;
  description: string;
  severity: SupportSeverity;
  status: SupportStatus;
  /** The SIMs the case is about. */
  iccids: string[];
  /** The API key that opened it. */
  openedBy: string;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SupportMessage {
  id: string;
  caseId: string;
  author: SupportAuthor;
  authorKeyId: string;
  body: string;
  createdAt: Date;
}

export type SupportCaseChange = { kind: 'customer-message' } | { kind: 'support-reply'; status: SupportStatus } | { kind: 'customer-close' };

/**
 * The status after a change. A customer message hands the case to support (`open`), reopening a closed
 * one; a support reply sets the status support chose (default `waiting`); a customer may close a case once.
 */
export function nextSupportStatus(current: SupportStatus, change: SupportCaseChange, caseId: string): SupportStatus {
  switch (change.kind) {
    case 'customer-message':
      return 'open';
    case 'support-reply':
      return change.status;
    case 'customer-close':
      if (current === 'closed') {
        throw new DomainError(ErrorCode.InvalidTransition, `Support case ${caseId} is already closed; add a message to reopen it`, {
          caseId,
          currentStatus: current,
          allowedActions: ['message'],
        });
      }
      return 'closed';
  }
}
