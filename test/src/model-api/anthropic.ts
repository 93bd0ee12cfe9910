import { z } from 'zod';
import { cutOff, sendJson, sseEvent, startSse } from './http.js';
import { toolBySuffix, turnAt, type ScriptUsage, type Turn } from './script.js';
import type { Exchange, ProtocolHandler } from './server.js';

/**
 * Anthropic Messages (`POST /v1/messages`, JSON or SSE with `stream: true`) and
 * `POST /v1/messages/count_tokens`, as Claude Code calls them (it adds `?beta=true`). Tool results
 * arrive as `tool_result` blocks in user messages; their number picks the script's turn.
 */
export const anthropic: ProtocolHandler = {
  protocol: 'anthropic',
  matches: (method, url) => method === 'POST' && /^\/v1\/messages(\/count_tokens)?$/.test(url.pathname),
  handle: (x) => {
    const parsed = MessagesRequest.safeParse(x.body);
    if (!parsed.success) return sendJson(x.res, 400, errorBody(400, `scripted API: not a Messages request: ${parsed.error.message}`));
    const body = parsed.data;
    x.record.model = body.model;
    x.record.stream = body.stream === true;
    const toolResults = body.messages.reduce((n, m) => n + (Array.isArray(m.content) ? m.content.filter((b) => b.type === 'tool_result').length : 0), 0);
    const turn = turnAt(x.script, toolResults);
    if (x.url.pathname.endsWith('/count_tokens')) {
      // A refused key is refused everywhere; otherwise counting always works.
      if (turn.kind === 'status') return sendJson(x.res, turn.status, errorBody(turn.status, turn.message), errorHeaders(turn.status));
      return sendJson(x.res, 200, { input_tokens: x.usage.inputTokens });
    }
    answer(x, body, turn, toolResults);
  },
};

const Block = z.looseObject({ type: z.string() });
const MessagesRequest = z.object({
  model: z.string().optional(),
  messages: z.array(z.object({ role: z.string(), content: z.union([z.string(), z.array(Block)]) })),
  tools: z.array(z.looseObject({ name: z.string().optional(), input_schema: z.unknown().optional() })).optional(),
  stream: z.boolean().optional(),
});
type MessagesRequest = z.infer<typeof MessagesRequest>;

type Content = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

function answer(x: Exchange, body: MessagesRequest, turn: Turn, toolResults: number): void {
  if (turn.kind === 'status') return sendJson(x.res, turn.status, errorBody(turn.status, turn.message), errorHeaders(turn.status));
  const model = body.model ?? 'scripted';
  const id = `msg_scripted_${toolResults}`;
  if (turn.kind === 'cut') {
    // The first bytes leave (write callback) before the socket goes: the client sees an answer cut midway.
    const cut = () => cutOff(x.res);
    if (body.stream) {
      startSse(x.res);
      sseEvent(x.res, { type: 'message_start', message: message(id, model, [], null, x.usage, 1) }, 'message_start');
      sseEvent(x.res, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
      x.res.write(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Working on' } })}\n\n`, cut);
    } else {
      x.res.writeHead(200, { 'content-type': 'application/json' });
      x.res.write(`{"id":"${id}","type":"message","role":"assistant","content":[{"type":"text","text":"Work`, cut);
    }
    return;
  }
  const content: Content[] = [];
  if (turn.kind === 'final') content.push({ type: 'text', text: turn.text });
  else if (turn.kind === 'tool') {
    // A side request without the tool gets a plain text, as for the shell tool below.
    const name = toolBySuffix(body.tools?.flatMap((t) => (t.name ? [t.name] : [])) ?? [], turn.suffix);
    if (name) content.push({ type: 'tool_use', id: `toolu_scripted_${toolResults + 1}`, name, input: turn.args });
    else content.push({ type: 'text', text: `Call the tool ${turn.suffix}.` });
  } else {
    // Claude Code's shell tool is `Bash` ({ command, description?, timeout? }). A side request
    // without it (a title, a summary) gets a plain text and leaves the script where it is.
    const tool = body.tools?.find((t) => t.name === 'Bash');
    if (tool) content.push({ type: 'tool_use', id: `toolu_scripted_${toolResults + 1}`, name: 'Bash', input: { command: turn.command, description: 'Run the scripted command' } });
    else content.push({ type: 'text', text: `Run this: ${turn.command}` });
  }
  const stop = content.some((c) => c.type === 'tool_use') ? 'tool_use' : 'end_turn';
  if (!body.stream) return sendJson(x.res, 200, message(id, model, content, stop, x.usage), { 'request-id': `req_${id}` });
  x.res.setHeader('request-id', `req_${id}`);
  startSse(x.res);
  sseEvent(x.res, { type: 'message_start', message: message(id, model, [], null, x.usage, 1) }, 'message_start');
  content.forEach((c, index) => {
    if (c.type === 'text') {
      sseEvent(x.res, { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, 'content_block_start');
      sseEvent(x.res, { type: 'content_block_delta', index, delta: { type: 'text_delta', text: c.text } }, 'content_block_delta');
    } else {
      sseEvent(x.res, { type: 'content_block_start', index, content_block: { ...c, input: {} } }, 'content_block_start');
      sseEvent(x.res, { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(c.input) } }, 'content_block_delta');
    }
    sseEvent(x.res, { type: 'content_block_stop', index }, 'content_block_stop');
  });
  sseEvent(x.res, { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: x.usage.outputTokens } }, 'message_delta');
  sseEvent(x.res, { type: 'message_stop' }, 'message_stop');
  x.res.end();
}

/** A Messages response object (`outputTokens` overrides the script's, for the stream's first event). */
function message(id: string, model: string, content: Content[], stop: string | null, u: ScriptUsage, outputTokens = u.outputTokens): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: {
      input_tokens: u.inputTokens,
      cache_creation_input_tokens: u.cacheWriteTokens,
      cache_read_input_tokens: u.cacheReadTokens,
      output_tokens: outputTokens,
    },
  };
}

/** The error types Anthropic answers with, by status (https://docs.anthropic.com/en/api/errors). */
function errorBody(status: number, message?: string): { type: 'error'; error: { type: string; message: string } } {
  const e = (type: string, fallback: string) => ({ type: 'error' as const, error: { type, message: message ?? fallback } });
  switch (status) {
    case 400:
      return e('invalid_request_error', 'Bad request.');
    case 401:
      return e('authentication_error', 'invalid x-api-key');
    case 403:
      return e('permission_error', 'Your API key does not have permission to use the specified resource.');
    case 429:
      return e('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit.');
    case 529:
      return e('overloaded_error', 'Overloaded');
    default:
      return e('api_error', 'Internal server error');
  }
}

/** A 429 says when to come back; a short wait keeps the CLI's own retries quick. */
function errorHeaders(status: number): Record<string, string> {
  return { 'request-id': `req_scripted_${status}`, ...(status === 429 ? { 'retry-after': '1' } : {}) };
}
