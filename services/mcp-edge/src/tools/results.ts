import { randomUUID } from 'node:crypto';
import type { CallToolResult, ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { errorType, isCallerError, SpanKind, SpanStatusCode, tracer, type Logger } from '@outpost/shared';
import { currentRequestId } from '../call-context.js';

/** A successful tool result: structured content, a short text for humans, and links to the runs' resources. */
export function ok(structuredContent: Record<string, unknown>, text: string, links: readonly ResourceLink[] = []): CallToolResult {
  return { content: [{ type: 'text', text }, ...links], structuredContent };
}

/** A refusal or bad input: `isError` and a message that says what to change. */
export function refuse(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/**
 * Runs a tool body; a refusal, bad input or a limit (an OutpostError the caller can act on) becomes its message, anything else is logged and reported
 * with a reference id only (never a stack trace or an internal message). The reference is the
 * call's request id, so it finds every line the call logged.
 */
export async function guarded(logger: Logger, tool: string, body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  // One span per tool call (MCP semantic conventions' name): a dispatch's runs, their SQS jobs and
  // the workers that take them all hang under it.
  const attributes = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool };
  return tracer().startActiveSpan(`tools/call ${tool}`, { kind: SpanKind.SERVER, attributes }, async (span) => {
    const ref = currentRequestId();
    if (ref) span.setAttribute('outpost.request_id', ref);
    try {
      return await body();
    } catch (err) {
      span.setAttribute('error.type', errorType(err));
      if (isCallerError(err)) return refuse(err.message);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorType(err) });
      const id = ref ?? randomUUID();
      logger.error({ err, tool, ref: id }, 'tool failed');
      return refuse(`internal error in ${tool} (ref ${id}); nothing was changed that a retry would duplicate, try again shortly`);
    } finally {
      span.end();
    }
  });
}
