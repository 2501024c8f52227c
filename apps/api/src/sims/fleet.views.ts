import { z } from 'zod';
import { SIM_ACTIONS, SIM_STATUSES } from '@simfleet/domain';
import { JOB_STATUSES } from '@simfleet/persistence';
import { simView } from '../http/views.js';

// Response shapes of the fleet organisation routes, for the OpenAPI document.
const instant = z.string().describe('ISO 8601 date-time (UTC)');
const source = z.enum(['sim', 'group', 'none']).describe('Where the value comes from: the SIM’s override, its group, or nowhere');

export const policyView = z
  .object({
    monthlyDataLimitBytes: z.object({ value: z.number().int().nullable().describe('null: no limit'), source, groupId: z.string().nullable() }),
    allowedCountries: z.object({ value: z.array(z.string()).nullable().describe('null: every country'), source, groupId: z.string().nullable() }),
  })
  .describe('The policy in force for the SIM');

export const simWithPolicyView = simView.extend({ policy: policyView });

export const groupView = z.object({
  id: z.string(),
  accountId: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  monthlyDataLimitBytes: z.number().int().nullable(),
  allowedCountries: z.array(z.string()).nullable(),
  createdAt: instant,
  updatedAt: instant,
});

export const summaryView = z.object({
  total: z.number().int(),
  byStatus: z.array(z.object({ status: z.enum(SIM_STATUSES), count: z.number().int() })),
  byGroup: z.array(z.object({ groupId: z.string().nullable(), groupName: z.string().nullable(), count: z.number().int() })),
  byCountry: z.array(z.object({ country: z.string().nullable(), count: z.number().int() })),
  byNetwork: z.array(z.object({ network: z.string().nullable(), count: z.number().int() })),
});

const failureView = z.object({ iccid: z.string(), reason: z.string() });
export const jobFailureView = failureView;

export const jobView = z.object({
  id: z.string(),
  kind: z.literal('sims.bulk'),
  status: z.enum(JOB_STATUSES),
  action: z.enum(SIM_ACTIONS),
  reason: z.string().nullable(),
  actor: z.string(),
  total: z.number().int(),
  processed: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  failures: z.array(failureView).optional().describe('The first 1,000 failures; GET /v1/jobs/{id}/failures pages through all'),
  error: z.string().nullable().describe('Why the job failed, when status is failed'),
  createdAt: instant,
  startedAt: instant.nullable(),
  finishedAt: instant.nullable(),
});
