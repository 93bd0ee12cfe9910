import type { ServerResponse } from 'node:http';

/** Heartbeat comment interval: keeps proxies from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;

/** A server-sent events stream over one response. */
export interface SseStream {
  /** One event; `id` becomes the client's Last-Event-ID on reconnect. */
  send(event: string, data: unknown, id?: string): void;
  /** A comment line (EventSource ignores it; tests and proxies see it). */
  comment(text: string): void;
  /** Ends the stream. */
  close(): void;
  /** Aborted when the client goes away or the stream is closed. */
  readonly signal: AbortSignal;
}

/** Starts an event stream: headers, a heartbeat comment every HEARTBEAT_MS, cleanup on disconnect. */
export function openSse(res: ServerResponse, options: { heartbeatMs?: number; shutdown?: AbortSignal } = {}): SseStream {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // Tells nginx-style proxies not to buffer the stream.
    'X-Accel-Buffering': 'no',
  });
  res.write(': connected\n\n');
  const done = new AbortController();
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  const close = () => {
    if (done.signal.aborted) return;
    done.abort();
    clearInterval(heartbeat);
    res.end();
  };
  res.on('close', close);
  options.shutdown?.addEventListener('abort', close, { once: true });
  return {
    signal: done.signal,
    close,
    comment(text) {
      if (!done.signal.aborted) res.write(`: ${text}\n\n`);
    },
    send(event, data, id) {
      if (done.signal.aborted) return;
      // JSON has no raw newlines, so each event's data is one `data:` line.
      res.write(`event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    },
  };
}
