import { z } from 'zod';

/**
 * Messages for the problems zod words for programmers: a missing field says "required" (zod's default is
 * "Invalid input: expected string, received undefined"). Every problem already names its field; the
 * message says what to do. Schemas with their own message keep it.
 */
z.config({
  customError: (issue) => ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined ? 'required' : undefined),
});
