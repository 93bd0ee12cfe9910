import { encodeTime } from 'ulid';
import { InvalidCursorError } from '../core/errors.js';
import { RUN_INDEX } from '../aws/resources.js';
import type { AgentName, RunRecord, RunStatus } from '../schemas/run.js';

export interface ListRunsQuery {
  status?: RunStatus;
  agent?: AgentName;
  /** `key=value`: only runs carrying that tag. */
  tag?: string;
  /** Only runs of exactly this repository, as dispatched (a filter on the page read). */
  repo?: string;
  /** Only runs created at or after this time. */
  since?: Date;
  /** Only runs created at or before this time (to the millisecond). */
  until?: Date;
  /** @default 20 */
  limit?: number;
  cursor?: string;
}

/** How one list of a tenant's runs is read: which key (table or index), conditions and filters. */
export interface RunListPlan {
  index: string | undefined;
  keyCondition: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
  filters: string[];
  /** The key attributes of the source, for a cursor. */
  keyAttrs: readonly string[];
  /** What a cursor is bound to: the source and every filter. */
  source: string;
}

/** Picks the table or index for a query (status → byStatus, agent → byAgent, else the table) and its expressions. */
export function planRunList(tenantId: string, query: ListRunsQuery): RunListPlan {
  const { index, keyName, keyValue, keyAttrs } = listSource(tenantId, query);
  const values: Record<string, unknown> = { ':pk': keyValue };
  const names: Record<string, string> = { '#pk': keyName };
  let keyCondition = '#pk = :pk';
  // run ids are `run_` + ULID, whose first 10 characters encode the creation time; `~` sorts
  // after every character of a ULID, so `run_{time}~` is past every id of that millisecond.
  if (query.since || query.until) names['#runId'] = 'runId';
  if (query.since && query.until) {
    keyCondition += ' AND #runId BETWEEN :since AND :until';
  } else if (query.since) {
    keyCondition += ' AND #runId >= :since';
  } else if (query.until) {
    keyCondition += ' AND #runId <= :until';
  }
  if (query.since) values[':since'] = `run_${encodeTime(query.since.getTime(), 10)}`;
  if (query.until) values[':until'] = `run_${encodeTime(query.until.getTime(), 10)}~`;
  const filters: string[] = [];
  if (query.status && query.agent) {
    filters.push('#agent = :agent');
    names['#agent'] = 'agent';
    values[':agent'] = query.agent;
  }
  if (query.tag) {
    filters.push('contains(#tagPairs, :tag)');
    names['#tagPairs'] = 'tagPairs';
    values[':tag'] = query.tag;
  }
  if (query.repo) {
    filters.push('#repo = :repo');
    names['#repo'] = 'repo';
    values[':repo'] = query.repo;
  }
  // A cursor is bound to the source and every filter, so reusing it with other filters is refused.
  const source = JSON.stringify([
    index ?? 'table',
    query.agent ?? null,
    query.tag ?? null,
    query.since?.toISOString() ?? null,
    ...(query.repo || query.until ? [query.repo ?? null, query.until?.toISOString() ?? null] : []),
  ]);
  return { index, keyCondition, names, values, filters, keyAttrs, source };
}

function listSource(tenantId: string, query: ListRunsQuery) {
  if (query.status) {
    return { index: RUN_INDEX.byStatus, keyName: 'tenantStatus', keyValue: `${tenantId}#${query.status}`, keyAttrs: ['tenantId', 'runId', 'tenantStatus'] };
  }
  if (query.agent) {
    return { index: RUN_INDEX.byAgent, keyName: 'tenantAgent', keyValue: `${tenantId}#${query.agent}`, keyAttrs: ['tenantId', 'runId', 'tenantAgent'] };
  }
  return { index: undefined, keyName: 'tenantId', keyValue: tenantId, keyAttrs: ['tenantId', 'runId'] };
}

const CURSOR_VERSION = 1;

/** The key attributes of a run, for resuming after it. */
export function pick(run: RunRecord, keys: readonly string[]): Record<string, unknown> {
  const record = run as unknown as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

/** An opaque cursor: the last key read, bound to its tenant and source. */
export function encodeCursor(tenantId: string, source: string, key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, t: tenantId, s: source, k: key })).toString('base64url');
}

/** The key a cursor resumes after; InvalidCursorError when it is malformed or bound to another tenant or source. */
export function decodeCursor(cursor: string, tenantId: string, source: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (err) {
    throw new InvalidCursorError({ cause: err });
  }
  const c = parsed as { v?: unknown; t?: unknown; s?: unknown; k?: unknown };
  // A cursor is bound to its tenant and its filter: anything else is refused, not reinterpreted.
  if (c.v !== CURSOR_VERSION || c.t !== tenantId || c.s !== source || typeof c.k !== 'object' || c.k === null) {
    throw new InvalidCursorError();
  }
  const key = c.k as Record<string, unknown>;
  if (key.tenantId !== tenantId) throw new InvalidCursorError();
  return key;
}
