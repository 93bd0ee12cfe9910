/**
 * Tools that may hold a call open (wait_for_run for minutes, promote up to PROMOTE_WAIT_MS): they
 * keep the SSE response, whose headers go out at once.
 */
const LONG_CALLS = new Set(['wait_for_run', 'promote']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Whether a POST body can be answered with one JSON response instead of an SSE stream (the
 * Streamable HTTP transport allows either; clients accept both). True for a single `ping` or
 * `tools/call` that asked for no progress and is not a long call: such a call sends nothing before
 * its result, and one JSON body costs the edge a fraction of a stream's work (a ReadableStream,
 * event framing, chunked writes). Everything else (initialize, lists, progress, long waits) keeps SSE.
 */
export function answersInOne(body: unknown): boolean {
  if (!isObject(body) || body.jsonrpc !== '2.0' || body.id === undefined) return false;
  if (body.method === 'ping') return true;
  if (body.method !== 'tools/call' || !isObject(body.params)) return false;
  const { name, _meta: meta } = body.params;
  if (typeof name !== 'string' || LONG_CALLS.has(name)) return false;
  return !(isObject(meta) && meta.progressToken !== undefined);
}

/** The tool a single `tools/call` names (undefined for a ping): what its server needs to register. */
export function calledTool(body: unknown): string | undefined {
  if (!isObject(body) || body.method !== 'tools/call' || !isObject(body.params)) return undefined;
  return typeof body.params.name === 'string' ? body.params.name : undefined;
}
