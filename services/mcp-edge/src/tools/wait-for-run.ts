import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { isTerminal, type RunRecord } from '@outpost/shared';
import type { ToolDeps } from '../deps.js';
import { runLinks } from '../resources/run-uris.js';
import { guarded, ok, refuse } from './results.js';
import { describeRun, lastLogLine, notFoundMessage, RunIdArg, RunView, toRunView } from '../domain/run-view.js';
import { abortableSleep } from '../domain/abortable-sleep.js';

/** Poll interval of wait_for_run (one consistent read each). */
export const WAIT_POLL_MS = 500;
/** Progress notifications at most this often unless the status changes. */
const PROGRESS_EVERY_MS = 2_000;

export const WaitForRunInputShape = {
  runId: RunIdArg,
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(300, 'timeoutSeconds is at most 300; call wait_for_run again to keep waiting')
    // Under the 60 s request timeout many MCP clients apply by default.
    .default(50)
    .describe('Return after this many seconds even if the run has not ended (default 50, at most 300).'),
};

export const WaitForRunOutputShape = {
  run: RunView,
  ended: z.boolean().describe('True when the run reached a final status; false when the wait timed out.'),
  waitedMs: z.number().int().nonnegative(),
  lastLogLine: z.string().optional(),
};

// Whole object schemas, built once: given raw shapes, the SDK would build them on every
// registration, i.e. on every request of the stateless server.
export const WaitForRunInput = z.object(WaitForRunInputShape);
export const WaitForRunOutput = z.object(WaitForRunOutputShape);

/** `wait_for_run`: blocks until the run ends or time is up, sending progress notifications. */
export function registerWaitForRun(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'wait_for_run',
    {
      title: 'Wait for a run to end',
      description:
        'Wait until a run ends (succeeded, failed, timed_out or cancelled) or timeoutSeconds pass, then return it. ' +
        'Sends progress notifications (status, elapsed time, latest log line) while waiting, so you need not poll ' +
        'get_run. If it returns with ended=false, call it again or check later.',
      inputSchema: WaitForRunInput,
      outputSchema: WaitForRunOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ runId, timeoutSeconds }, extra) =>
      guarded(deps.logger, 'wait_for_run', async () => {
        const { tenantId } = deps.tenant;
        const started = Date.now();
        const deadline = started + timeoutSeconds * 1000;
        const progressToken = extra._meta?.progressToken;
        let run = await deps.stores.runs.get(tenantId, runId);
        if (!run) return refuse(notFoundMessage(runId));
        let lastSent = 0;
        let lastStatus = '';
        const report = async (current: RunRecord) => {
          if (progressToken === undefined) return;
          const now = Date.now();
          if (current.status === lastStatus && now - lastSent < PROGRESS_EVERY_MS) return;
          lastSent = now;
          lastStatus = current.status;
          const line = lastLogLine(current);
          const elapsed = Math.round((now - started) / 1000);
          await extra
            .sendNotification({
              method: 'notifications/progress',
              params: {
                progressToken,
                progress: now - started,
                total: timeoutSeconds * 1000,
                message: `${current.status}, ${elapsed}s elapsed${line ? `; log: ${line.slice(0, 200)}` : ''}`,
              },
            })
            .catch(() => {}); // a client that went away must not fail the wait
        };
        while (!isTerminal(run.status) && Date.now() < deadline && !extra.signal.aborted && !deps.shutdown.aborted) {
          await report(run);
          await abortableSleep(Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())), extra.signal, deps.shutdown);
          run = (await deps.stores.runs.get(tenantId, runId)) ?? run;
        }
        const ended = isTerminal(run.status);
        const waitedMs = Date.now() - started;
        const line = lastLogLine(run);
        const text = ended
          ? `${describeRun(run)}.`
          : `Still ${run.status} after ${Math.round(waitedMs / 1000)}s (${describeRun(run)}); call wait_for_run again to keep waiting.`;
        return ok({ run: toRunView(run), ended, waitedMs, ...(line ? { lastLogLine: line } : {}) }, text, runLinks(run.runId));
      }),
  );
}
