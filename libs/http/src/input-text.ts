import type { FieldProblem } from '@simfleet/domain';

/** Deepest nesting of a JSON body (objects and arrays); deeper bodies are refused before anything walks them recursively. */
export const MAX_JSON_DEPTH = 32;

// U+0000 cannot be stored in a PostgreSQL text or jsonb value, and an unpaired UTF-16 surrogate is not
// Unicode text (jsonb refuses its escape, text columns would silently turn it into U+FFFD).
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string is not acceptable text, or null. */
export function textProblem(value: string): string | null {
  if (NUL.test(value)) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text (it contains an unpaired surrogate)';
  return null;
}

const join = (path: string, key: string) => (path ? `${path}/${key}` : key);

/**
 * Every string (and object key) of a parsed JSON value that is not acceptable text, named by its path
 * (`sims/3/name`; the root is `(body)`), and a nesting deeper than MAX_JSON_DEPTH. Walks at most
 * MAX_JSON_DEPTH levels, so it never recurses deeper than that whatever the input.
 */
export function unsafeTextProblems(value: unknown, path = '', depth = 0, problems: FieldProblem[] = []): FieldProblem[] {
  if (problems.length >= 20) return problems;
  if (typeof value === 'string') {
    const problem = textProblem(value);
    if (problem) problems.push({ field: path || '(body)', message: problem });
    return problems;
  }
  if (value === null || typeof value !== 'object') return problems;
  if (depth >= MAX_JSON_DEPTH) {
    problems.push({ field: path || '(body)', message: `nested deeper than ${MAX_JSON_DEPTH} levels` });
    return problems;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => unsafeTextProblems(item, join(path, String(index)), depth + 1, problems));
    return problems;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = textProblem(key);
    if (keyProblem) problems.push({ field: join(path, safeLabel(key)), message: `field name ${keyProblem}` });
    else unsafeTextProblems(item, join(path, key), depth + 1, problems);
  }
  return problems;
}

/** A name fit to appear in a problem document (control characters and unpaired surrogates escaped). */
export const safeLabel = (value: string): string =>
  value.replace(new RegExp(`${CONTROL.source}|${LONE_SURROGATE.source}`, 'g'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
