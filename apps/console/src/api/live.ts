// The live event stream (GET /v1/events/stream), read with fetch rather than EventSource: fetch sends the
// Authorization header of an API key as well as a session cookie. One connection serves the whole page: it
// asks for the union of what the mounted components want, and reconnects with Last-Event-ID whenever that
// union changes or the connection drops, so no event is missed.
import { useEffect, useRef, useState } from 'react';
import { authHeaders, currentCredentials } from './auth';

export interface LiveEvent<Data = Record<string, unknown>> {
  id: string;
  type: string;
  occurredAt: string;
  accountId: string;
  subject: string;
  data: Data;
}

export interface LiveFilter {
  /** Event types or `prefix.*`. */
  types: readonly string[];
  /** Subjects; empty means every subject. */
  subjects?: readonly string[];
}

export type LiveState = 'connecting' | 'open' | 'retrying' | 'closed';

interface Listener {
  filter: LiveFilter;
  handle: (event: LiveEvent) => void;
}

const matches = (filter: LiveFilter, event: LiveEvent) =>
  (!filter.subjects?.length || filter.subjects.includes(event.subject)) &&
  filter.types.some((t) => (t.endsWith('.*') ? event.type.startsWith(t.slice(0, -1)) : event.type === t));

class LiveStream {
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<(s: LiveState) => void>();
  private controller: AbortController | null = null;
  private lastEventId = '';
  private query = '';
  private retryMs = 1000;
  private reconnectTimer: number | null = null;
  state: LiveState = 'closed';

  add(listener: Listener): () => void {
    this.listeners.add(listener);
    this.refresh();
    return () => {
      this.listeners.delete(listener);
      this.refresh();
    };
  }

  onState(listener: (s: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: LiveState): void {
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }

  /** Recomputes the union of the filters and reconnects when it changed (resuming where it was). */
  private refresh(): void {
    const types = new Set<string>();
    const subjects = new Set<string>();
    let allSubjects = false;
    for (const { filter } of this.listeners) {
      filter.types.forEach((t) => types.add(t));
      if (!filter.subjects?.length) allSubjects = true;
      else filter.subjects.forEach((s) => subjects.add(s));
    }
    const params = new URLSearchParams();
    if (types.size) params.set('type', [...types].sort().join(','));
    if (!allSubjects && subjects.size) params.set('subject', [...subjects].sort().join(','));
    const query = this.listeners.size ? params.toString() : '';
    if (query === this.query) return;
    this.query = query;
    this.connect();
  }

  private connect(): void {
    this.controller?.abort();
    if (this.reconnectTimer !== null) window.clearTimeout(this.reconnectTimer);
    this.controller = null;
    if (!this.query || !currentCredentials()) {
      this.setState('closed');
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    this.setState(this.state === 'open' ? 'open' : 'connecting');
    void this.read(controller).catch(() => undefined);
  }

  private async read(controller: AbortController): Promise<void> {
    try {
      const response = await fetch(`/v1/events/stream?${this.query}`, {
        credentials: 'same-origin',
        signal: controller.signal,
        headers: { accept: 'text/event-stream', ...authHeaders(false), ...(this.lastEventId ? { 'last-event-id': this.lastEventId } : {}) },
      });
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      this.setState('open');
      this.retryMs = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      void error;
    }
    if (controller.signal.aborted || this.controller !== controller) return;
    // Dropped: try again, resuming after the last id received.
    this.setState('retrying');
    this.reconnectTimer = window.setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 15_000);
  }

  private dispatch(block: string): void {
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('id:')) this.lastEventId = line.slice(3).trim();
      else if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (!data.length || type === 'message') return;
    const event = JSON.parse(data.join('\n')) as LiveEvent;
    for (const listener of [...this.listeners]) if (matches(listener.filter, event)) listener.handle(event);
  }

  /** Forgets the position (sign-out) and closes. */
  reset(): void {
    this.lastEventId = '';
    this.query = '';
    this.listeners.clear();
    this.connect();
  }
}

export const liveStream = new LiveStream();

/** Calls `handle` for each live event matching `filter` while the component is mounted. */
export function useLiveEvents<Data = Record<string, unknown>>(filter: LiveFilter | null, handle: (event: LiveEvent<Data>) => void): void {
  const handler = useRef(handle);
  handler.current = handle;
  const key = filter ? `${[...filter.types].join(',')}|${[...(filter.subjects ?? [])].join(',')}` : '';
  useEffect(() => {
    if (!filter) return;
    return liveStream.add({ filter, handle: (e) => handler.current(e as LiveEvent<Data>) });
    // The filter is compared by value (its key).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
}

export function useLiveState(): LiveState {
  const [state, setState] = useState<LiveState>(liveStream.state);
  useEffect(() => liveStream.onState(setState), []);
  return state;
}
