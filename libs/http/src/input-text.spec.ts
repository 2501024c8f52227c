import { MAX_JSON_DEPTH, safeLabel, textProblem, unsafeTextProblems } from './input-text.js';

describe('text the platform accepts', () => {
  it('refuses NUL and unpaired surrogates, keeps every other Unicode text', () => {
    expect(textProblem('a\u0000b')).toMatch(/NUL/);
    expect(textProblem('\ud800')).toMatch(/unpaired surrogate/);
    expect(textProblem('x\udc00')).toMatch(/unpaired surrogate/);
    expect(textProblem('\udc00\ud800')).toMatch(/unpaired surrogate/);
    for (const fine of ['', 'Zoë 🚚 Lyon', '\u{1F600}', 'tab\tand\nnewline', '\u00a0']) expect(textProblem(fine)).toBeNull();
  });

  it('names every offending field of a body by its path, keys included', () => {
    expect(unsafeTextProblems({ name: 'a\u0000', tags: { ok: 'x', ['k\u0000']: 'v' }, sims: [{ iccid: '1' }, { iccid: '\ud800' }] })).toEqual([
      { field: 'name', message: expect.stringMatching(/NUL/) },
      { field: 'tags/k\\u0000', message: expect.stringMatching(/^field name/) },
      { field: 'sims/1/iccid', message: expect.stringMatching(/surrogate/) },
    ]);
    expect(unsafeTextProblems('\u0000')).toEqual([{ field: '(body)', message: expect.any(String) }]);
    expect(unsafeTextProblems({ fine: ['text', 1, null, true] })).toEqual([]);
  });

  it('refuses nesting deeper than the limit without recursing into it', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(unsafeTextProblems(deep)).toEqual([
      { field: expect.stringMatching(/^(0\/){31}0$/), message: `nested deeper than ${MAX_JSON_DEPTH} levels` },
    ]);
    let fine: unknown = 'x';
    for (let i = 0; i < MAX_JSON_DEPTH; i++) fine = { a: fine };
    expect(unsafeTextProblems(fine)).toEqual([]);
  });

  it('escapes what cannot be shown in a field name', () => {
    expect(safeLabel('a\u0000b\ud800c😀')).toBe('a\\u0000b\\ud800c😀');
  });
});
