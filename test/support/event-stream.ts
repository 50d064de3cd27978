import http from 'node:http';

/** One server-sent event as a browser's EventSource dispatches it. */
export interface StreamEvent {
  event: string;
  data: string;
}

export interface EventStreamReader {
  status: number;
  /** Every event dispatched so far, in order. */
  events: StreamEvent[];
  /** Everything received, as text (to prove what the stream never carries). */
  raw(): string;
  /** The first event from index `from` on that satisfies `predicate` (rejects if the stream ends first). */
  next(predicate: (event: StreamEvent) => boolean, from?: number): Promise<StreamEvent>;
  ended: Promise<void>;
  close(): void;
}

/**
 * Reads `url` as an EventSource does (the WHATWG parsing rules: `event:`/`data:` fields, comments, CRLF or LF, an
 * event dispatched at a blank line only when it has data, `message` by default), over a real socket.
 */
export function readEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false });
    req.once('error', reject);
    req.once('response', (res) => {
      const events: StreamEvent[] = [];
      const waiters = new Set<{ predicate: (e: StreamEvent) => boolean; from: number; resolve: (e: StreamEvent) => void; reject: (e: Error) => void }>();
      let raw = '';
      let pending = '';
      let type = '';
      let data: string[] = [];
      const dispatch = () => {
        if (data.length > 0) {
          const event = { event: type || 'message', data: data.join('\n') };
          events.push(event);
          for (const w of waiters) {
            if (events.length - 1 < w.from || !w.predicate(event)) continue;
            waiters.delete(w);
            w.resolve(event);
          }
        }
        type = '';
        data = [];
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        pending += chunk;
        const lines = pending.split(/\r\n|\r|\n/);
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line === '') dispatch();
          else if (line.startsWith(':')) continue;
          else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') type = value;
            else if (field === 'data') data.push(value);
          }
        }
      });
      const ended = new Promise<void>((r) => res.once('close', () => r()));
      void ended.then(() => {
        for (const w of waiters) w.reject(new Error('the event stream ended'));
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        raw: () => raw,
        ended,
        next: (predicate, from = 0) => {
          const found = events.slice(from).find(predicate);
          if (found) return Promise.resolve(found);
          return new Promise((resolve, reject) => waiters.add({ predicate, from, resolve, reject }));
        },
        close: () => req.destroy(),
      });
    });
  });
}
