import { DomainError } from '@simfleet/domain';
import { MAX_PROBLEM_TEXT, toProblem } from './problem.filter.js';

describe('toProblem', () => {
  it('never echoes a megabyte of input back: every text is cut', () => {
    const huge = 'x'.repeat(1_000_000);
    const problem = toProblem(DomainError.validation(`name ${huge} is taken`, [{ field: huge, message: `value ${huge}` }]), {
      url: '/v1/x',
      id: 'r',
    });
    expect(JSON.stringify(problem).length).toBeLessThan(4 * MAX_PROBLEM_TEXT);
    expect(problem.detail).toMatch(/… \(truncated\)$/);
    expect((problem.errors as Array<{ field: string }>)[0].field.length).toBeLessThan(MAX_PROBLEM_TEXT + 20);
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
