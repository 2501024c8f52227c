import { DomainError } from './errors/domain-error.js';

export interface Page<T> {
  data: T[];
  /** Opaque cursor of the next page, null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  /** Decoded keyset position: the sort key of the last item already seen. */
  after?: string;
}

export const encodeCursor = (position: string): string => Buffer.from(position, 'utf8').toString('base64url');

const invalidCursor = () => DomainError.validation('cursor is not a cursor this API returned', [{ field: 'cursor', message: 'invalid cursor' }]);

/** Control characters (NUL among them) never appear in a position the API wrote; the database could not even compare them. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The position a cursor carries (a key: an id, a name…), or a 422 naming `cursor` for anything the API could not have written. */
export function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded || encodeCursor(decoded) !== cursor || CONTROL.test(decoded)) throw invalidCursor();
  return decoded;
}

/** A cursor carrying a sequence number or an offset (a non-negative integer the database can compare). */
export function decodeSequenceCursor(cursor: string): number {
  const decoded = decodeCursor(cursor);
  if (!/^\d{1,15}$/.test(decoded)) throw invalidCursor();
  return Number(decoded);
}

/** A cursor carrying a JSON object whose strings are all plain text (the caller checks its shape). */
export function decodeJsonCursor(cursor: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeCursor(cursor));
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw invalidCursor();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidCursor();
  for (const value of Object.values(parsed)) {
    if (typeof value === 'string' && (CONTROL.test(value) || LONE_SURROGATE.test(value))) throw invalidCursor();
    if (value !== null && typeof value === 'object') throw invalidCursor();
  }
  return parsed as Record<string, unknown>;
}

/** Builds a page from `limit + 1` rows fetched in key order. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): Page<T> {
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? encodeCursor(keyOf(data[data.length - 1])) : null };
}
