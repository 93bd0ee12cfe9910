import { z } from 'zod';
import { assertNever } from '@outpost/shared';
import { cutOff, sendJson, sseEvent, startSse } from './http.js';
import { toolBySuffix, turnAt, type ScriptUsage, type Turn } from './script.js';
import type { Exchange, ProtocolHandler } from './server.js';

/**
 * The Gemini API (`POST /v1beta/models/{model}:{action}`) as Gemini CLI calls it:
 * `generateContent` (JSON; also its routing classifier and other utility calls, which ask for JSON
 * through a response schema), `streamGenerateContent?alt=sse` (the agent's turns), `countTokens`
 * and `embedContent`. Tool results arrive as `functionResponse` parts; their number picks the
 * script's turn.
 */
export const gemini: ProtocolHandler = {
  protocol: 'gemini',
  matches: (method, url) => method === 'POST' && ACTION.test(url.pathname),
  handle: (x) => {
    const [, model = '', action = ''] = ACTION.exec(x.url.pathname) ?? [];
    x.record.model = decodeURIComponent(model);
    x.record.stream = action === 'streamGenerateContent';
    if (action === 'countTokens') return countTokens(x);
    if (action === 'embedContent' || action === 'batchEmbedContents') return embed(x, action);
    const parsed = GenerateRequest.safeParse(x.body);
    if (!parsed.success) return sendJson(x.res, 400, errorBody(400, `scripted API: not a generateContent request: ${parsed.error.message}`));
    const body = parsed.data;
    const toolResults = body.contents.flatMap((c) => c.parts ?? []).filter((p) => p.functionResponse !== undefined).length;
    const turn = turnAt(x.script, toolResults);
    // A status applies to every call (a refused key refuses the router's call too); anything
    // else asked for JSON by schema is a utility call (router, next-speaker check), not a turn.
    const schema = body.generationConfig?.responseJsonSchema ?? body.generationConfig?.responseSchema;
    if (turn.kind !== 'status' && (schema !== undefined || body.generationConfig?.responseMimeType === 'application/json')) {
      return respond(x, [{ text: JSON.stringify(fromSchema(schema)) }]);
    }
    answer(x, body, turn, toolResults);
  },
};

/** `/v1beta/models/gemini-2.5-pro:streamGenerateContent` → model, action. */
const ACTION = /^\/v1[a-z0-9]*\/models\/([^/:]+):([A-Za-z]+)$/;

const Part = z.object({
  text: z.string().optional(),
  functionCall: z.unknown().optional(),
  functionResponse: z.unknown().optional(),
});
const FunctionDeclaration = z.object({
  name: z.string(),
  parameters: z.unknown().optional(),
  parametersJsonSchema: z.unknown().optional(),
});
type FunctionDeclaration = z.infer<typeof FunctionDeclaration>;

const GenerateRequest = z.object({
  contents: z.array(z.object({ role: z.string().optional(), parts: z.array(Part).optional() })),
  tools: z.array(z.object({ functionDeclarations: z.array(FunctionDeclaration).optional() })).optional(),
  generationConfig: z
    .object({ responseMimeType: z.string().optional(), responseJsonSchema: z.unknown().optional(), responseSchema: z.unknown().optional() })
    .optional(),
});
type GenerateRequest = z.infer<typeof GenerateRequest>;

type ResponsePart = { text: string } | { functionCall: { name: string; args: Record<string, unknown> } };

function answer(x: Exchange, body: GenerateRequest, turn: Turn, toolResults: number): void {
  switch (turn.kind) {
    case 'status':
      return sendJson(x.res, turn.status, errorBody(turn.status, turn.message));
    case 'cut': {
      // The first bytes leave (write callback) before the socket goes: the client sees an answer cut midway.
      const cut = () => cutOff(x.res);
      if (x.record.stream) {
        startSse(x.res);
        x.res.write(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Working on' }] }, index: 0 }] })}\n\n`, cut);
      } else {
        x.res.writeHead(200, { 'content-type': 'application/json' });
        x.res.write('{"candidates":[{"content":{"role":"model","parts":[{"text":"Work', cut);
      }
      return;
    }
    case 'final':
      return respond(x, [{ text: turn.text }]);
    case 'tool': {
      const name = toolBySuffix(body.tools?.flatMap((t) => t.functionDeclarations ?? []).map((f) => f.name) ?? [], turn.suffix);
      if (!name) return respond(x, [{ text: `Call the tool ${turn.suffix}.` }]);
      return respond(x, [{ functionCall: { name, args: turn.args } }]);
    }
    case 'shell':
    case 'loop': {
      const tool = shellTool(body.tools?.flatMap((t) => t.functionDeclarations ?? []) ?? []);
      // A client without a shell tool gets the command as text.
      if (!tool) return respond(x, [{ text: `Run this:\n\`\`\`bash\n${turn.command}\n\`\`\`` }]);
      return respond(x, [{ functionCall: { name: tool.name, args: { [tool.arg]: turn.command, ...(tool.described ? { description: `step ${toolResults + 1}` } : {}) } } }]);
    }
    default:
      return assertNever(turn);
  }
}

/** One answer, as JSON or as an SSE stream (text first, then the rest, usage on the last chunk). */
function respond(x: Exchange, parts: ResponsePart[]): void {
  const usageMetadata = geminiUsage(x.usage);
  const done = { finishReason: 'STOP', index: 0 };
  const meta = { modelVersion: x.record.model ?? 'scripted', responseId: `scripted-${x.record.path.length}` };
  if (!x.record.stream) {
    return sendJson(x.res, 200, { candidates: [{ content: { role: 'model', parts }, ...done }], usageMetadata, ...meta });
  }
  startSse(x.res);
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    sseEvent(x.res, {
      candidates: [{ content: { role: 'model', parts: [part] }, ...(last ? done : { index: 0 }) }],
      ...(last ? { usageMetadata } : {}),
      ...meta,
    });
  });
  x.res.end();
}

function countTokens(x: Exchange): void {
  x.record.stream = false;
  sendJson(x.res, 200, { totalTokens: Math.max(1, Math.ceil(x.record.text.length / 4)) });
}

function embed(x: Exchange, action: string): void {
  const embedding = { values: [0.1, 0.2, 0.3] };
  const n = z.object({ requests: z.array(z.unknown()) }).safeParse(x.body).data?.requests.length ?? 1;
  sendJson(x.res, 200, action === 'embedContent' ? { embedding } : { embeddings: Array.from({ length: n }, () => embedding) });
}

/** Gemini counts cached tokens inside promptTokenCount; the script's inputTokens are the uncached ones. */
function geminiUsage(u: ScriptUsage): Record<string, number> {
  const prompt = u.inputTokens + u.cacheReadTokens;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: u.outputTokens,
    totalTokenCount: prompt + u.outputTokens,
    cachedContentTokenCount: u.cacheReadTokens,
  };
}

const SHELL_TOOL_NAMES = ['run_shell_command', 'shell', 'bash'];

/** The client's own shell tool, the name of its command argument, and whether it takes a description. */
function shellTool(fns: readonly FunctionDeclaration[]): { name: string; arg: string; described: boolean } | undefined {
  const fn = SHELL_TOOL_NAMES.map((n) => fns.find((f) => f.name === n)).find((f) => f !== undefined) ?? fns.find((f) => /shell|bash/i.test(f.name));
  if (!fn) return undefined;
  const Props = z.object({ properties: z.record(z.string(), z.unknown()) });
  const props = Object.keys(Props.safeParse(fn.parametersJsonSchema ?? fn.parameters).data?.properties ?? {});
  return { name: fn.name, arg: props.find((p) => p === 'command' || p === 'cmd') ?? props[0] ?? 'command', described: props.includes('description') };
}

const Schema = z.object({
  type: z.string().optional(),
  enum: z.array(z.unknown()).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  minimum: z.number().optional(),
});

/**
 * A value that fits a JSON schema: the first enum value (the router's `flash`, the next-speaker
 * check's `user`, so the conversation ends when the script says so), 'scripted' for strings.
 */
export function fromSchema(schema: unknown, depth = 0): unknown {
  const s = Schema.safeParse(schema).data;
  if (!s || depth > 8) return {};
  if (s.enum && s.enum.length > 0) return s.enum[0];
  switch (s.type?.toLowerCase()) {
    case 'string':
      return 'scripted';
    case 'number':
    case 'integer':
      return s.minimum ?? 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default:
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, fromSchema(v, depth + 1)]));
  }
}

/** The error body Google answers with for each status. */
function errorBody(status: number, message?: string): { error: { code: number; message: string; status: string } } {
  const e = (grpc: string, fallback: string) => ({ error: { code: status, message: message ?? fallback, status: grpc } });
  switch (status) {
    case 400:
      return e('INVALID_ARGUMENT', 'Request contains an invalid argument.');
    case 401:
      return e('UNAUTHENTICATED', 'API key not valid. Please pass a valid API key.');
    case 403:
      return e('PERMISSION_DENIED', 'The caller does not have permission.');
    case 429:
      return e('RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).');
    case 503:
    case 529:
      return e('UNAVAILABLE', 'The model is overloaded. Please try again later.');
    default:
      return e('INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
  }
}
