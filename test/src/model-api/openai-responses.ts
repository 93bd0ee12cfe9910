import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { assertNever } from '@outpost/shared';
import { cutOff, sendJson, sseEvent, startSse } from './http.js';
import { toolBySuffix, turnAt, type ScriptUsage, type Turn } from './script.js';
import type { Exchange, ProtocolHandler, RecordedRequest } from './server.js';

/**
 * The OpenAI Responses API as Codex CLI speaks it: `POST …/responses` with `stream: true`, answered
 * as server-sent events (`response.created`, `response.output_item.done`, `response.completed`).
 * Codex first tries a WebSocket on `GET …/responses`; it is refused with 426 Upgrade Required,
 * which makes codex fall back to HTTP at once (a 404 costs it seven attempts and ~6 s).
 */
export const openaiResponses: ProtocolHandler = {
  protocol: 'openai-responses',
  matches: (method, url) => (method === 'POST' || method === 'GET') && url.pathname.endsWith('/responses'),
  handle: (x) => answer(x),
  upgrade: (_req: IncomingMessage, socket: Duplex, record: RecordedRequest) => {
    record.status = 426;
    socket.end('HTTP/1.1 426 Upgrade Required\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  },
};

/** A tool the CLI offered, found in `tools` or in an `additional_tools` input item (namespaces flattened). */
export interface OfferedTool {
  type: string;
  name: string;
  namespace?: string | undefined;
}

/** How the scripted model runs a shell command through the tools the CLI offered. */
export type ShellCall =
  | { kind: 'custom'; name: string; namespace?: string | undefined; input: string }
  | { kind: 'function'; name: string; namespace?: string | undefined; arguments: string };

function answer(x: Exchange): void {
  const body = obj(x.body);
  x.record.model = typeof body?.model === 'string' ? body.model : undefined;
  x.record.stream = body?.stream === true;
  if (x.req.method !== 'POST' || !body) {
    sendJson(x.res, 400, { error: { message: 'expected a JSON body on POST', type: 'invalid_request_error', param: null, code: null } });
    return;
  }
  const turn = turnAt(x.script, toolResults(body));
  switch (turn.kind) {
    case 'status':
      sendJson(x.res, turn.status, errorBody(turn.status, turn.message), turn.status === 429 ? { 'retry-after': '1' } : {});
      return;
    case 'cut':
      startSse(x.res);
      sseEvent(x.res, { type: 'response.created', response: { id: responseId(), status: 'in_progress' } }, 'response.created');
      // Give the bytes a chance to leave before the socket goes.
      setTimeout(() => cutOff(x.res), 20);
      return;
    case 'final':
      stream(x, [{ type: 'message', id: itemId('msg'), role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn.text, annotations: [] }] }]);
      return;
    case 'tool': {
      const call = namedCall(offeredTools(body), turn.suffix, turn.args);
      if (!call) {
        sendJson(x.res, 400, { error: { message: `scripted API: the request offers no tool named ${turn.suffix}`, type: 'invalid_request_error', param: 'tools', code: null } });
        return;
      }
      stream(x, [callItem(call)]);
      return;
    }
    case 'shell':
    case 'loop': {
      const call = shellCall(offeredTools(body), turn.command);
      if (!call) {
        sendJson(x.res, 400, { error: { message: 'scripted API: the request offers no shell tool (exec, exec_command, shell_command, shell)', type: 'invalid_request_error', param: 'tools', code: null } });
        return;
      }
      stream(x, [callItem(call)]);
      return;
    }
    default:
      return assertNever(turn);
  }
}

/** Streams one answer made of `items`, ending with `response.completed` and the script's usage. */
function stream(x: Exchange, items: Record<string, unknown>[]): void {
  const id = responseId();
  startSse(x.res);
  sseEvent(x.res, { type: 'response.created', response: { id, status: 'in_progress' } }, 'response.created');
  items.forEach((item, i) => {
    sseEvent(x.res, { type: 'response.output_item.added', output_index: i, item: { ...item, status: 'in_progress' } }, 'response.output_item.added');
    const text = textOf(item);
    if (text !== undefined) {
      sseEvent(x.res, { type: 'response.output_text.delta', item_id: item.id, output_index: i, content_index: 0, delta: text }, 'response.output_text.delta');
    }
    sseEvent(x.res, { type: 'response.output_item.done', output_index: i, item }, 'response.output_item.done');
  });
  sseEvent(x.res, { type: 'response.completed', response: { id, status: 'completed', output: items, usage: usageOf(x.usage) } }, 'response.completed');
  x.res.end();
}

/**
 * The Responses API's usage object. OpenAI counts cached and cache-written tokens inside
 * `input_tokens`; the script's `inputTokens` are the uncached ones (as Anthropic counts them).
 */
export function usageOf(u: ScriptUsage): Record<string, unknown> {
  const input = u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheReadTokens, cache_write_tokens: u.cacheWriteTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + u.outputTokens,
  };
}

/** OpenAI's error body for a status, as its API sends it. */
export function errorBody(status: Extract<Turn, { kind: 'status' }>['status'], message?: string): Record<string, unknown> {
  switch (status) {
    case 401:
      return { error: { message: message ?? 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
    case 403:
      return { error: { message: message ?? 'You are not allowed to sample from this model', type: 'invalid_request_error', param: null, code: 'permission_denied' } };
    case 429:
      return { error: { message: message ?? 'Rate limit reached for requests. Please try again in 1s.', type: 'requests', param: null, code: 'rate_limit_exceeded' } };
    default:
      return { error: { message: message ?? 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } };
  }
}

/** Tool results already in the conversation: what picks the script's turn. */
export function toolResults(body: Record<string, unknown>): number {
  const input = Array.isArray(body.input) ? body.input : [];
  return input.filter((i) => {
    const t = obj(i)?.type;
    return t === 'function_call_output' || t === 'custom_tool_call_output' || t === 'local_shell_call_output';
  }).length;
}

/** Every tool the request offers: top-level `tools` and `additional_tools` input items, namespaces opened. */
export function offeredTools(body: Record<string, unknown>): OfferedTool[] {
  const out: OfferedTool[] = [];
  const walk = (list: unknown, namespace?: string) => {
    if (!Array.isArray(list)) return;
    for (const raw of list) {
      const t = obj(raw);
      if (!t || typeof t.type !== 'string') continue;
      if (t.type === 'namespace') walk(t.tools, typeof t.name === 'string' ? t.name : undefined);
      else if (typeof t.name === 'string') out.push({ type: t.type, name: t.name, namespace });
      else if (t.type === 'local_shell') out.push({ type: t.type, name: 'local_shell', namespace });
    }
  };
  walk(body.tools);
  if (Array.isArray(body.input)) for (const item of body.input) if (obj(item)?.type === 'additional_tools') walk(obj(item)?.tools);
  return out;
}

/**
 * The call that runs `command` with the CLI's own shell tool. Codex's code mode offers one
 * freeform `exec` tool that runs JavaScript, whose nested `tools.exec_command` runs commands;
 * without code mode, codex offers `exec_command` ({cmd}) or `shell` ({command: argv}) directly.
 */
export function shellCall(tools: readonly OfferedTool[], command: string): ShellCall | undefined {
  const find = (type: string, name: string) => tools.find((t) => t.type === type && t.name === name);
  const direct = find('function', 'exec_command');
  if (direct) return { kind: 'function', name: direct.name, namespace: direct.namespace, arguments: JSON.stringify({ cmd: command, login: false, yield_time_ms: 30_000 }) };
  const code = find('custom', 'exec');
  if (code) {
    const input = [
      '// @exec: {"yield_time_ms": 30000}',
      `const r = await tools.exec_command({ cmd: ${JSON.stringify(command)}, login: false, yield_time_ms: 30000 });`,
      'text(`exit ${r.exit_code}\\n${r.output}`);',
    ].join('\n');
    return { kind: 'custom', name: code.name, namespace: code.namespace, input };
  }
  const shellCommand = find('function', 'shell_command');
  if (shellCommand) return { kind: 'function', name: shellCommand.name, namespace: shellCommand.namespace, arguments: JSON.stringify({ command }) };
  const shell = find('function', 'shell');
  if (shell) return { kind: 'function', name: shell.name, namespace: shell.namespace, arguments: JSON.stringify({ command: ['bash', '-lc', command] }) };
  return undefined;
}

/**
 * A function call of the offered tool `suffix` names (see toolBySuffix), matched on the tool's
 * name or on its namespace and name joined (codex offers MCP tools in a namespace per server).
 */
export function namedCall(tools: readonly OfferedTool[], suffix: string, args: Record<string, unknown>): ShellCall | undefined {
  const fns = tools.filter((t) => t.type === 'function');
  const name = toolBySuffix(fns.map(qualifiedName), suffix);
  const tool = fns.find((t) => qualifiedName(t) === name);
  return tool ? { kind: 'function', name: tool.name, namespace: tool.namespace, arguments: JSON.stringify(args) } : undefined;
}

/** A tool's name with its namespace (`mcp__outpost` + `dispatch` → `mcp__outpost.dispatch`; `functions` dropped). */
export function qualifiedName(t: OfferedTool): string {
  if (!t.namespace || t.namespace === 'functions') return t.name;
  return /[_.\-/]$/.test(t.namespace) ? `${t.namespace}${t.name}` : `${t.namespace}.${t.name}`;
}

function callItem(call: ShellCall): Record<string, unknown> {
  const callId = itemId('call');
  // `functions` is the default namespace: its tools are called by their plain names.
  const namespace = call.namespace && call.namespace !== 'functions' ? { namespace: call.namespace } : {};
  return call.kind === 'custom'
    ? { type: 'custom_tool_call', id: itemId('ctc'), call_id: callId, name: call.name, ...namespace, input: call.input, status: 'completed' }
    : { type: 'function_call', id: itemId('fc'), call_id: callId, name: call.name, ...namespace, arguments: call.arguments, status: 'completed' };
}

function textOf(item: Record<string, unknown>): string | undefined {
  if (item.type !== 'message' || !Array.isArray(item.content)) return undefined;
  const part = obj(item.content[0]);
  return typeof part?.text === 'string' ? part.text : undefined;
}

let counter = 0;
const itemId = (prefix: string) => `${prefix}_scripted_${(counter += 1)}`;
const responseId = () => itemId('resp');

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

