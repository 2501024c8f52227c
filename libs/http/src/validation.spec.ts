import { z } from 'zod';
import { DomainError } from '@simfleet/domain';
import { instantInput, ZodPipe } from './validation.js';

const problemOf = (run: () => unknown): DomainError => {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('no problem raised');
};

describe('ZodPipe: problems that name the field and the fix', () => {
  const query = new ZodPipe(z.object({ from: instantInput('Start'), to: instantInput('End'), interval: z.enum(['hour', 'day']) }), 'query');

  it('says a missing query parameter is required, naming it', () => {
    const problem = problemOf(() => query.transform({ to: '2026-11-28T10:00:00Z' }));
    expect(problem.details).toMatchObject({
      errors: [
        { field: 'from', message: 'required' },
        { field: 'interval', message: 'required' },
      ],
    });
    expect(problem.message).toBe('The query string is not valid: from: required; interval: required');
  });

  it('still explains a malformed value', () => {
    const problem = problemOf(() => query.transform({ from: 'yesterday', to: '2026-11-28T10:00:00Z', interval: 'day' }));
    expect(problem.details).toMatchObject({
      errors: [{ field: 'from', message: 'an ISO 8601 date-time with a time zone, e.g. 2026-11-28T10:00:00Z' }],
    });
  });

  it('names an unknown query parameter itself', () => {
    const problem = problemOf(() => query.transform({ from: '2026-11-28T10:00:00Z', to: '2026-11-28T11:00:00Z', interval: 'day', form: 'x' }));
    expect(problem.details).toMatchObject({ errors: [{ field: 'form', message: 'unknown query parameter' }] });
  });
});
