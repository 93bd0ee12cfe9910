import { z } from 'zod';
import { cutOff, sendJson, sseEvent, startSse } from './http.js';
import { toolBySuffix, turnAt, type ScriptUsage, type Turn } from './script.js';
import type { Exchange, ProtocolHandler } from './server.js';

/**
 * OpenAI chat completions (`POST …/chat/completions`), JSON or SSE (`stream: true`), as grok-cli
 * (and aider, through litellm) call it. Tool results arrive as `role: "tool"` messages; the
 * number of them picks the script's turn.
 */
export const openaiChat: ProtocolHandler = {
  protocol: 'openai-chat',
  matches: (method, url) => (method === 'POST' && url.pathname.endsWith('/chat/completions')) || (method === 'GET' && url.pathname.endsWith('/models')),
  handle: (x) => {
    if (x.record.method === 'GET') return sendJson(x.res, 200, { object: 'list', data: [] });
    const parsed = ChatRequest.safeParse(x.body);
    if (!parsed.success) return sendJson(x.res, 400, errorBody(400, `scripted API: not a chat completions request: ${parsed.error.message}`));
    const body = parsed.data;
    x.record.model = body.model;
    x.record.stream = body.stream === true;
    const toolResults = body.messages.filter((m) => m.role === 'tool' || m.role === 'function').length;
    answer(x, body, turnAt(x.script, toolResults), toolResults);
  },
};

const ChatTool = z.object({
  type: z.string().optional(),
  function: z.object({ name: z.string(), parameters: z.unknown().optional() }).optional(),
});
type ChatTool = z.infer<typeof ChatTool>;

const ChatRequest = z.object({
  model: z.string().optional(),
  messages: z.array(z.object({ role: z.string() })),
  tools: z.array(ChatTool).optional(),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
});
type ChatRequest = z.infer<typeof ChatRequest>;

/** The `tool_calls` entry a shell turn answers with. */
interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

function answer(x: Exchange, body: ChatRequest, turn: Turn, toolResults: number): void {
  if (turn.kind === 'status') return sendJson(x.res, turn.status, errorBody(turn.status, turn.message));
  if (turn.kind === 'cut') {
    // The first bytes leave (write callback) before the socket goes: the client sees an answer cut midway.
    const cut = () => cutOff(x.res);
    if (body.stream) {
      startSse(x.res);
      x.res.write(`data: ${JSON.stringify(chunk(body, { role: 'assistant', content: 'Working on' }, null))}\n\n`, cut);
    } else {
      x.res.writeHead(200, { 'content-type': 'application/json' });
      x.res.write('{"id":"chatcmpl-cut","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Work', cut);
    }
    return;
  }
  let content: string | null = null;
  let calls: ToolCall[] | undefined;
  if (turn.kind === 'final') content = turn.text;
  else if (turn.kind === 'tool') {
    const name = toolBySuffix((body.tools ?? []).flatMap((t) => (t.function ? [t.function.name] : [])), turn.suffix);
    if (name) calls = [{ id: `call_${toolResults + 1}`, type: 'function', function: { name, arguments: JSON.stringify(turn.args) } }];
    else content = `Call the tool ${turn.suffix}.`;
  } else {
    const tool = shellTool(body.tools ?? []);
    if (tool) calls = [{ id: `call_${toolResults + 1}`, type: 'function', function: { name: tool.name, arguments: JSON.stringify({ [tool.arg]: turn.command }) } }];
    // A client without a shell tool (aider edits by text) gets the command as a fenced block.
    else content = `Run this:\n\`\`\`bash\n${turn.command}\n\`\`\``;
  }
  const finish = calls ? 'tool_calls' : 'stop';
  const usage = chatUsage(x.usage);
  if (!body.stream) {
    return sendJson(x.res, 200, {
      id: `chatcmpl-${toolResults}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'scripted',
      choices: [{ index: 0, message: { role: 'assistant', content, ...(calls ? { tool_calls: calls } : {}) }, finish_reason: finish }],
      usage,
    });
  }
  startSse(x.res);
  sseEvent(x.res, chunk(body, { role: 'assistant', content: '' }, null));
  if (content !== null) sseEvent(x.res, chunk(body, { content }, null));
  if (calls) sseEvent(x.res, chunk(body, { tool_calls: calls.map((c, index) => ({ index, ...c })) }, null));
  sseEvent(x.res, chunk(body, {}, finish));
  if (body.stream_options?.include_usage) sseEvent(x.res, { ...chunk(body, {}, null), choices: [], usage });
  sseEvent(x.res, '[DONE]');
  x.res.end();
}

function chunk(body: ChatRequest, delta: Record<string, unknown>, finish: string | null): Record<string, unknown> {
  return {
    id: 'chatcmpl-stream',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? 'scripted',
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

/** OpenAI counts cached tokens inside prompt_tokens; the script's inputTokens are the uncached ones. */
function chatUsage(u: ScriptUsage): Record<string, unknown> {
  const prompt = u.inputTokens + u.cacheReadTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cacheReadTokens },
  };
}

const SHELL_TOOL_NAMES = ['bash', 'shell', 'run_shell_command', 'exec', 'execute_command', 'run_terminal_cmd'];

/** The client's own shell tool and the name of its command argument. */
function shellTool(tools: readonly ChatTool[]): { name: string; arg: string } | undefined {
  const fns = tools.flatMap((t) => (t.function ? [t.function] : []));
  const fn = SHELL_TOOL_NAMES.map((n) => fns.find((f) => f.name === n)).find((f) => f !== undefined) ?? fns.find((f) => /bash|shell/i.test(f.name));
  if (!fn) return undefined;
  const props = Object.keys(z.object({ properties: z.record(z.string(), z.unknown()) }).safeParse(fn.parameters).data?.properties ?? {});
  return { name: fn.name, arg: props.find((p) => p === 'command' || p === 'cmd') ?? props[0] ?? 'command' };
}

/** The error body OpenAI answers with for each status (xAI's OpenAI-compatible API says the same). */
function errorBody(status: number, message?: string): { error: { message: string; type: string; param: null; code: string | null } } {
  const e = (type: string, code: string | null, fallback: string) => ({ error: { message: message ?? fallback, type, param: null, code } });
  switch (status) {
    case 401:
      return e('invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.');
    case 403:
      return e('invalid_request_error', 'permission_denied', 'You are not allowed to use this model.');
    case 429:
      return e('requests', 'rate_limit_exceeded', 'Rate limit reached for requests. Please try again later.');
    case 400:
      return e('invalid_request_error', null, 'Bad request.');
    default:
      return e('server_error', null, 'The server had an error while processing your request.');
  }
}
