import { DomainError, ErrorCode } from '../errors/domain-error.js';
import { SIM_ACTIONS, SIM_STATUSES, SimLifecycle, type SimAction, type SimStatus } from './sim-lifecycle.js';

const ICCID = '89882806660000000015';

// The whole table: every state × every action, the expected next state or null when refused.
const EXPECTED: Record<SimStatus, Record<SimAction, SimStatus | null>> = {
  inventory: { activate: 'active', suspend: null, resume: null, terminate: 'terminated' },
  active: { activate: null, suspend: 'suspended', resume: null, terminate: 'terminated' },
  suspended: { activate: null, suspend: null, resume: 'active', terminate: 'terminated' },
  terminated: { activate: null, suspend: null, resume: null, terminate: null },
};

const cases = SIM_STATUSES.flatMap((status) => SIM_ACTIONS.map((action) => [status, action, EXPECTED[status][action]] as const));

describe('SimLifecycle', () => {
  it('covers every state and action of the domain', () => {
    expect(cases).toHaveLength(SIM_STATUSES.length * SIM_ACTIONS.length);
    expect(Object.keys(EXPECTED).sort()).toEqual([...SIM_STATUSES].sort());
  });

  it.each(cases)('%s + %s → %s', (status, action, expected) => {
    if (expected) {
      expect(SimLifecycle.next(status, action, ICCID)).toBe(expected);
      expect(SimLifecycle.allowedActions(status)).toContain(action);
      return;
    }
    let error: unknown;
    try {
      SimLifecycle.next(status, action, ICCID);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    const domainError = error as DomainError;
    expect(domainError.code).toBe(ErrorCode.InvalidTransition);
    // The 409 names the current state and what is allowed from it.
    expect(domainError.details).toEqual({ iccid: ICCID, currentStatus: status, action, allowedActions: SimLifecycle.allowedActions(status) });
    expect(domainError.message).toContain(status);
    expect(SimLifecycle.allowedActions(status)).not.toContain(action);
  });

  it.each(SIM_STATUSES)('allowed actions of %s are exactly those with a next state', (status) => {
    expect(SimLifecycle.allowedActions(status)).toEqual(SIM_ACTIONS.filter((a) => EXPECTED[status][a] !== null));
  });

  it('terminated is final', () => {
    expect(SimLifecycle.allowedActions('terminated')).toEqual([]);
  });

  it.each(SIM_STATUSES)('only an active SIM without blocks may connect (%s)', (status) => {
    expect(SimLifecycle.mayConnect(status, [])).toBe(status === 'active');
    expect(SimLifecycle.mayConnect(status, ['data_limit_exceeded'])).toBe(false);
  });
});
