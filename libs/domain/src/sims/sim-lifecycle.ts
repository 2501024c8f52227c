import { DomainError, ErrorCode } from '../errors/domain-error.js';

export const SIM_STATUSES = ['inventory', 'active', 'suspended', 'terminated'] as const;
export type SimStatus = (typeof SIM_STATUSES)[number];

export const SIM_ACTIONS = ['activate', 'suspend', 'resume', 'terminate'] as const;
export type SimAction = (typeof SIM_ACTIONS)[number];

/** System blocks deny network access while present, independently of the user state (Telnyx-style). */
export const SIM_BLOCKS = ['data_limit_exceeded', 'unauthorized_imei'] as const;
export type SimBlock = (typeof SIM_BLOCKS)[number];

const TRANSITIONS: Record<SimStatus, Partial<Record<SimAction, SimStatus>>> = {
  inventory: { activate: 'active', terminate: 'terminated' },
  active: { suspend: 'suspended', terminate: 'terminated' },
  suspended: { resume: 'active', terminate: 'terminated' },
  terminated: {},
};

export const ACTION_EVENT = {
  activate: 'sim.activated',
  suspend: 'sim.suspended',
  resume: 'sim.resumed',
  terminate: 'sim.terminated',
} as const satisfies Record<SimAction, string>;

/** The user-state machine of a SIM: inventory → active ⇄ suspended → terminated (final). */
export const SimLifecycle = {
  allowedActions(status: SimStatus): SimAction[] {
    return SIM_ACTIONS.filter((action) => TRANSITIONS[status][action] !== undefined);
  },

  /** The state after `action`, or a 409-class error naming the current state and the allowed actions. */
  next(status: SimStatus, action: SimAction, iccid: string): SimStatus {
    const to = TRANSITIONS[status][action];
    if (to) return to;
    const allowed = SimLifecycle.allowedActions(status);
    throw new DomainError(
      ErrorCode.InvalidTransition,
      `SIM ${iccid} is ${status}: ${action} is not allowed${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (a terminated SIM is final)'}`,
      { iccid, currentStatus: status, action, allowedActions: allowed },
    );
  },

  /** Whether the network lets the SIM's device attach: active, and no system block. */
  mayConnect(status: SimStatus, blocks: readonly string[]): boolean {
    return status === 'active' && blocks.length === 0;
  },
};
