import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, LogEvent } from '../api/client.js';
import { LogBuffer } from './log-buffer.js';
import { useEventSource } from './useEventSource.js';

interface Props {
  runId: string;
  /** Called on each `status` event of the stream (the run as JSON). */
  onStatus(data: string): void;
  onEnd(): void;
}

/**
 * The live log: SSE chunks are queued and folded into the buffer once per animation frame, and
 * only the visible rows are in the DOM (@tanstack/react-virtual), so fast output stays cheap.
 */
export function LogView({ runId, onStatus, onEnd }: Props) {
  const buffer = useMemo(() => new LogBuffer(), [runId]);
  const pending = useRef<string[]>([]);
  /** Byte offset the next chunk starts at (the SSE id of the last one): a resent chunk is skipped. */
  const received = useRef(0);
  const frame = useRef<number | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const [ended, setEnded] = useState(false);
  const scroller = useRef<HTMLDivElement>(null);

  const flush = () => {
    frame.current = undefined;
    const chunks = pending.current;
    pending.current = [];
    for (const c of chunks) buffer.append(c);
    setVersion((v) => v + 1);
  };

  useEffect(() => () => {
    if (frame.current !== undefined) cancelAnimationFrame(frame.current);
  }, []);

  useEventSource(api.paths.runLogStream(runId), {
    log: (data, lastEventId) => {
      const ev = LogEvent.parse(JSON.parse(data));
      if (ev.offset < received.current) return;
      received.current = Number(lastEventId) || ev.offset;
      pending.current.push(ev.text);
      frame.current ??= requestAnimationFrame(flush);
    },
    status: (data) => onStatus(data),
    end: () => {
      setEnded(true);
      onEnd();
    },
  });

  const matches = useMemo(() => {
    if (!search) return undefined;
    const needle = search.toLowerCase();
    const out: number[] = [];
    for (let i = 0; i < buffer.count; i++) if (buffer.line(i).toLowerCase().includes(needle)) out.push(i);
    return out;
  }, [search, version, buffer]);

  const count = matches ? matches.length : buffer.count;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => 18,
    overscan: 20,
  });

  useEffect(() => {
    if (follow && !matches && count > 0) virtualizer.scrollToIndex(count - 1, { align: 'end' });
  }, [version, follow, matches, count, virtualizer]);

  return (
    <section className="log" aria-labelledby="log-title">
      <div className="log-head">
        <h2 id="log-title">Log</h2>
        <label>
          Search log
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <a className="button" href={api.paths.runLog(runId)} download={`${runId}.log`}>
          Download full log
        </a>
      </div>
      <p className="muted" role="status" data-testid="log-stats">
        {buffer.count} lines{ended ? ', complete' : ', live'}
        {matches ? `, ${matches.length} matching` : ''}
        {buffer.dropped > 0 ? ` (${buffer.dropped} earliest lines not kept here: show the full log with the download)` : ''}
      </p>
      <div ref={scroller} className="log-scroll" tabIndex={0} aria-label="Log output" data-testid="log-scroll">
        <div className="log-inner" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const index = matches ? (matches[item.index] ?? 0) : item.index;
            return (
              <div
                key={item.key}
                className="log-line"
                style={{ transform: `translateY(${item.start}px)` }}
              >
                {buffer.line(index)}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
