import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useLiveEvents, type LiveFilter } from './live';

/** Refreshes queries when matching live events arrive (at most once per `everyMs`: a busy fleet sends many). */
export function useLiveInvalidate(filter: LiveFilter | null, keys: QueryKey[], everyMs = 2000): void {
  const client = useQueryClient();
  const timer = useRef<number | null>(null);
  const keysRef = useRef(keys);
  keysRef.current = keys;
  useEffect(() => () => void (timer.current !== null && window.clearTimeout(timer.current)), []);
  useLiveEvents(filter, () => {
    if (timer.current !== null) return;
    timer.current = window.setTimeout(() => {
      timer.current = null;
      for (const key of keysRef.current) void client.invalidateQueries({ queryKey: key });
    }, everyMs);
  });
}
