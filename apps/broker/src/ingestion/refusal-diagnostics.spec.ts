import { RefusalDiagnostics } from './refusal-diagnostics.js';
import type { RecordProblem } from './record-validator.js';

describe('RefusalDiagnostics', () => {
  it('gathers refusals per SIM and topic into one write, keeping the last ones', async () => {
    const writes: Array<[string, RecordProblem[], string]> = [];
    const diagnostics = new RefusalDiagnostics(
      async (...args) => void writes.push(args),
      () => undefined,
      3,
      60_000,
    );
    for (let i = 0; i < 5; i++) diagnostics.add('1', 'things/1/sessions', [{ code: 'rate_limited', message: `m${i}` }]);
    diagnostics.add('1', 'things/1/location', [{ code: 'invalid_record', message: 'x', index: 0 }]);
    await diagnostics.flush();
    expect(writes).toHaveLength(2);
    expect(writes[0][1].map((p) => p.message)).toEqual(['m2', 'm3', 'm4']);
    await diagnostics.flush();
    expect(writes).toHaveLength(2);
  });

  it('writes no U+0000 (PostgreSQL cannot store it), and reports a failed write without throwing', async () => {
    const writes: RecordProblem[][] = [];
    const failures: string[] = [];
    const diagnostics = new RefusalDiagnostics(
      async (iccid, problems) => {
        if (iccid === 'down') throw new Error('database unavailable');
        writes.push(problems);
      },
      (iccid) => failures.push(iccid),
      20,
    );
    diagnostics.add('1', 'things/1/sessions', [{ code: 'malformed_json', message: 'Unexpected token \u0000', sessionId: 'a\u0000' }]);
    diagnostics.add('down', 'things/down/sessions', [{ code: 'malformed_json', message: 'x' }]);
    await diagnostics.flush();
    expect(JSON.stringify(writes)).not.toContain('\\u0000');
    expect(failures).toEqual(['down']);
  });
});
