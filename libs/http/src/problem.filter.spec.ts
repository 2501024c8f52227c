import { DomainError } from '@simfleet/domain';
import { MAX_PROBLEM_DETAIL, MAX_PROBLEM_TEXT, toProblem } from './problem.filter.js';

describe('toProblem', () => {
  it('never echoes a megabyte of input back: every text is cut', () => {
    const huge = 'x'.repeat(1_000_000);
    const problem = toProblem(DomainError.validation(`name ${huge} is taken`, [{ field: huge, message: `value ${huge}` }]), {
      url: '/v1/x',
      id: 'r',
    });
    expect(JSON.stringify(problem).length).toBeLessThan(MAX_PROBLEM_DETAIL + 4 * MAX_PROBLEM_TEXT);
    expect(problem.detail).toMatch(/… \(truncated\)$/);
    expect((problem.errors as Array<{ field: string }>)[0].field.length).toBeLessThan(MAX_PROBLEM_TEXT + 20);
    expect((problem.errors as Array<{ message: string }>)[0].message.length).toBeLessThan(MAX_PROBLEM_TEXT + 20);
  });

  it('keeps whole a detail that sums up several fields', () => {
    const fields = Array.from({ length: 6 }, (_, i) => ({
      field: `field${i}`,
      message: `a rule of field ${i} that takes some words to say `.repeat(2),
    }));
    const detail = `The request body is not valid: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`;
    expect(detail.length).toBeGreaterThan(MAX_PROBLEM_TEXT);
    expect(toProblem(DomainError.validation(detail, fields), { url: '/v1/x', id: 'r' }).detail).toBe(detail);
  });

  it('hides the details of an unexpected error behind a 500 with the request id', () => {
    expect(toProblem(new Error('password=hunter2'), { url: '/v1/x?a=1', id: 'req-1' })).toEqual({
      type: '/problems/internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'An unexpected error occurred; it has been logged with this request id.',
      instance: '/v1/x',
      requestId: 'req-1',
    });
  });
});
