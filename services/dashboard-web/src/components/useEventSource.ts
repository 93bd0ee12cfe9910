import { useEffect, useRef } from 'react';

type Handlers = Record<string, (data: string, lastEventId: string) => void>;

/**
 * Subscribes to a server-sent event stream for the life of the component. The browser's
 * EventSource reconnects on its own and sends Last-Event-ID, so resumption is the server's job.
 */
export function useEventSource(url: string | undefined, handlers: Handlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!url) return;
    const source = new EventSource(url, { withCredentials: true });
    const names = Object.keys(ref.current);
    const listeners = names.map((name) => {
      const listener = (ev: MessageEvent<string>) => {
        ref.current[name]?.(ev.data, ev.lastEventId);
        if (name === 'end') source.close();
      };
      source.addEventListener(name, listener);
      return [name, listener] as const;
    });
    return () => {
      for (const [name, listener] of listeners) source.removeEventListener(name, listener);
      source.close();
    };
  }, [url]);
}
