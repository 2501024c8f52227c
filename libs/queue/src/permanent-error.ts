/**
 * An error that retrying cannot fix (e.g. InfluxDB refusing a point with 400, `permanent: true`): the
 * queue ends the job at once and dead-letters it instead of retrying it for minutes.
 */
export const isPermanentJobError = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
