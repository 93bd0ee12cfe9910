import { isTerminal, type RunRecord } from '@outpost/shared';
import { SSE_EVENTS, type EndEvent, type LogEvent } from '@outpost/dashboard-api';
import { abortableSleep } from '../domain/abortable-sleep.js';
import { toRunView } from '../domain/run-view.js';
import type { ApiRequest, DashboardDeps } from './context.js';
import { LiveLog } from './log-chunks.js';
import { requireRun } from './routes-runs.js';
import { openSse, type SseStream } from './sse.js';

/** What of a run, when it changes, is worth an event. */
function stateOf(run: RunRecord): string {
  return `${run.status}|${run.attempt}|${run.cancelRequestedAt ?? ''}|${run.finishedAt ?? ''}|${run.promotion?.status ?? ''}`;
}

/**
 * `GET /api/runs/:id/log/stream`: the log from the start (or from Last-Event-ID, a byte offset),
 * then every new chunk within one poll (~500 ms) of the worker writing it; `status` when the run
 * changes; `end` once it is terminal and every chunk it wrote was sent.
 */
export async function streamLog(request: ApiRequest, id: string, deps: DashboardDeps): Promise<void> {
  let run = await requireRun(request, id);
  const lastId = Number(request.req.headers['last-event-id']);
  const from = Number.isInteger(lastId) && lastId > 0 ? lastId : 0;
  const { tool } = request;
  const live = new LiveLog(tool.clients.s3, tool.stores.names.bucket, run.tenantId, run.runId, from);
  const sse = openSse(request.res, { heartbeatMs: deps.heartbeatMs, shutdown: tool.shutdown });
  let state = stateOf(run);
  sse.send(SSE_EVENTS.status, toRunView(run));
  try {
    for (;;) {
      sendPieces(sse, await live.poll());
      if (sse.signal.aborted) return;
      // Terminal and every chunk the run recorded is read: nothing more will come.
      if (isTerminal(run.status) && live.chunks >= (run.logChunks ?? 0)) {
        sendPieces(sse, await live.poll());
        const end: EndEvent = { status: run.status, bytes: live.bytes };
        sse.send(SSE_EVENTS.end, end);
        return;
      }
      await abortableSleep(deps.pollMs, sse.signal);
      if (sse.signal.aborted) return;
      const latest = await tool.stores.runs.get(run.tenantId, run.runId);
      if (!latest) return;
      run = latest;
      if (stateOf(run) !== state) {
        state = stateOf(run);
        sse.send(SSE_EVENTS.status, toRunView(run));
      }
    }
  } catch (err) {
    tool.logger.warn({ err, runId: run.runId }, 'log stream failed');
  } finally {
    sse.close();
  }
}

function sendPieces(sse: SseStream, pieces: { offset: number; end: number; text: string }[]): void {
  for (const p of pieces) {
    const event: LogEvent = { offset: p.offset, text: p.text };
    sse.send(SSE_EVENTS.log, event, String(p.end));
  }
}

/** How many of the newest runs the events stream watches. */
const WATCHED_RUNS = 50;

/**
 * `GET /api/runs/events`: `run` for each of the tenant's newest runs whose state changed, and for
 * each new one, re-read every poll (one Query of the first page).
 */
export async function streamRunEvents(request: ApiRequest, deps: DashboardDeps): Promise<void> {
  const { tool } = request;
  const sse = openSse(request.res, { heartbeatMs: deps.heartbeatMs, shutdown: tool.shutdown });
  const seen = new Map<string, string>();
  let first = true;
  try {
    while (!sse.signal.aborted) {
      const page = await tool.stores.runs.list(tool.tenant.tenantId, { limit: WATCHED_RUNS });
      // Oldest first, so a client applying them in order ends with the newest on top.
      for (const run of [...page.runs].reverse()) {
        const state = stateOf(run);
        if (!first && seen.get(run.runId) !== state) sse.send(SSE_EVENTS.run, toRunView(run));
        seen.set(run.runId, state);
      }
      if (first) sse.comment('ready');
      first = false;
      await abortableSleep(deps.pollMs * 2, sse.signal);
    }
  } catch (err) {
    tool.logger.warn({ err }, 'runs event stream failed');
  } finally {
    sse.close();
  }
}
