/** One server-sent event as received: its stream id, its event name and its parsed data. */
export interface StreamMessage {
  id: string;
  event: string;
  data: any;
}

/** A reader of GET /v1/events/stream over fetch (headers, so an API key): what arrived, the last id, and close(). */
export class EventStreamReader {
  readonly messages: StreamMessage[] = [];
  readonly comments: string[] = [];
  lastEventId = '';
  status = 0;
  headers: Headers | null = null;
  body: any = null;
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();

  static async open(url: string, key: string | undefined, headers: Record<string, string> = {}): Promise<EventStreamReader> {
    const reader = new EventStreamReader();
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      signal: reader.abort.signal,
    });
    reader.status = response.status;
    reader.headers = response.headers;
    if (response.status !== 200) {
      const text = await response.text();
      reader.body = text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
      return reader;
    }
    reader.done = reader.consume(response.body!);
    return reader;
  }

  private async consume(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          this.parse(block);
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }

  private parse(block: string): void {
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (id !== null) this.lastEventId = id;
    if (data.length) this.messages.push({ id: id ?? this.lastEventId, event, data: JSON.parse(data.join('\n')) });
  }

  /** Events received so far, by type. */
  ofType(type: string): StreamMessage[] {
    return this.messages.filter((m) => m.event === type);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done.catch(() => undefined);
  }
}
