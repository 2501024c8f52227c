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

export function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded || encodeCursor(decoded) !== cursor) {
    throw DomainError.validation('cursor is not a cursor this API returned', [{ field: 'cursor', message: 'invalid cursor' }]);
  }
  return decoded;
}

/** Builds a page from `limit + 1` rows fetched in key order. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): Page<T> {
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? encodeCursor(keyOf(data[data.length - 1])) : null };
}
