import { DomainError } from '../errors/domain-error.js';
import { nextSupportStatus, SUPPORT_STATUSES, type SupportCaseChange, type SupportStatus } from './support-case.js';

describe('nextSupportStatus', () => {
  const table: Array<[SupportStatus, SupportCaseChange, SupportStatus | 'conflict']> = [
    ['open', { kind: 'customer-message' }, 'open'],
    ['waiting', { kind: 'customer-message' }, 'open'],
    ['closed', { kind: 'customer-message' }, 'open'],
    ['open', { kind: 'support-reply', status: 'waiting' }, 'waiting'],
    ['open', { kind: 'support-reply', status: 'closed' }, 'closed'],
    ['waiting', { kind: 'support-reply', status: 'open' }, 'open'],
    ['closed', { kind: 'support-reply', status: 'waiting' }, 'waiting'],
    ['open', { kind: 'customer-close' }, 'closed'],
    ['waiting', { kind: 'customer-close' }, 'closed'],
    ['closed', { kind: 'customer-close' }, 'conflict'],
  ];
  it.each(table)('%s + %o → %s', (from, change, expected) => {
    if (expected === 'conflict') expect(() => nextSupportStatus(from, change, 'case_1')).toThrow(DomainError);
    else expect(nextSupportStatus(from, change, 'case_1')).toBe(expected);
  });

  it('covers every status', () => {
    expect(new Set(table.map(([from]) => from))).toEqual(new Set(SUPPORT_STATUSES));
  });
});
