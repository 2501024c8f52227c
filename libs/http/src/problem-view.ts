import { z } from 'zod';

export const problemView = z
  .object({
    type: z.string().describe('URI reference identifying the problem type, e.g. /problems/not-found'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .describe('RFC 9457 problem details (application/problem+json); extension members depend on the type');
