import { z } from 'zod';
import { PASSWORD_MAX_LENGTH } from '@simfleet/auth';

/**
 * A password being set. Its minimum is a setting (PASSWORD_MIN_LENGTH, 8 to 128), which a static schema
 * cannot state: the document names the rule in `x-limited-by` (the use case refuses a shorter one, 422).
 */
export const newPasswordInput = () =>
  z
    .string()
    .max(PASSWORD_MAX_LENGTH)
    .meta({ 'x-limited-by': 'PASSWORD_MIN_LENGTH: at least that many characters (12 by default)' })
    .describe('At least PASSWORD_MIN_LENGTH characters (12 by default)');
