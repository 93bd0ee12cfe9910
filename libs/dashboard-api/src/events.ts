import { z } from 'zod';
import { RunView } from './runs.js';

/**
 * `event: log` of `GET /api/runs/:id/log/stream`: `text` starts at byte `offset` of the log (the
 * SSE id is the offset after it, so a reconnect with Last-Event-ID resumes there).
 */
export const LogEvent = z.object({
  offset: z.number().int().nonnegative(),
  text: z.string(),
});
export type LogEvent = z.infer<typeof LogEvent>;

/** `event: status`: the run, sent when its status (or attempt) changes. */
export const StatusEvent = RunView;
export type StatusEvent = z.infer<typeof StatusEvent>;

/** `event: end`: the run is terminal and its whole log was sent; the stream closes. */
export const EndEvent = z.object({
  status: RunView.shape.status,
  /** Bytes of log sent in total. */
  bytes: z.number().int().nonnegative(),
});
export type EndEvent = z.infer<typeof EndEvent>;

/** `event: run` of `GET /api/runs/events`: one of the tenant's runs changed status. */
export const RunEvent = RunView;
export type RunEvent = z.infer<typeof RunEvent>;
