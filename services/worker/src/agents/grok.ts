import { VENDOR_BASE_URLS } from '@outpost/shared';
import { z } from 'zod';
import { JsonLineJoiner } from './json-line-joiner.js';
import type { AgentAdapter, AgentFailure, AgentInvocation, AgentResult, AgentSetup, OutputParser } from './types.js';
import { clip, compactUsage, num, providerFailureCode } from './types.js';

/** The model grok-cli 0.0.34 picks by default; passed explicitly so a repository's `.grok/settings.json` or `.env` never picks one. */
export const GROK_DEFAULT_MODEL = 'grok-code-fast-1';

/**
 * grok-cli (@vibe-kit/grok-cli 0.0.34) headless: `grok --prompt=<task>`. It talks OpenAI chat
 * completions (non-streaming) and, once the conversation ends, prints it as JSON lines
 * (`{"role":"user"|"assistant"|"tool",…}`); no usage. An API error never reaches the exit code:
 * it exits 0 after an assistant line "Sorry, I encountered an error: Grok API error: 401 …".
 *
 * Endpoint: it calls `dotenv.config()` in the repository, so a committed `.env` could set
 * GROK_BASE_URL, GROK_API_KEY, GROK_MODEL or MORPH_API_KEY. dotenv never overrides a variable
 * already set, so every one of them is set here (the vendor default too); the base URL and model
 * also go on argv, which beats everything. The key stays in the environment (argv is readable
 * by other processes).
 *
 * Large tasks: headless grok never reads stdin, and one argv element holds 128 KiB. The task
 * goes into `~/.grok/GROK.md`, which it puts into the system prompt as custom instructions. A
 * repository's own `.grok/GROK.md` takes precedence over it, so the prompt names the task file
 * too.
 */
export const grokAdapter: AgentAdapter = {
  name: 'grok',
  args: (inv) => [
    `--prompt=${inv.taskFile ? largeTaskPrompt(inv.taskFile) : inv.task}`,
    '--base-url',
    baseUrl(inv),
    '--model',
    inv.model ?? GROK_DEFAULT_MODEL,
  ],
  largeTask: 'file',
  probeArgs: ['--version'],
  setup: (inv): AgentSetup => ({
    env: {
      GROK_BASE_URL: baseUrl(inv),
      GROK_MODEL: inv.model ?? GROK_DEFAULT_MODEL,
      // Empty keeps a repository's .env from turning on Morph Fast Apply (file contents sent to api.morphllm.com).
      MORPH_API_KEY: '',
      // Keeps a repository's .env from turning TLS verification off for the request that carries the key.
      NODE_TLS_REJECT_UNAUTHORIZED: '1',
    },
    homeFiles: {
      // grok reads baseURL (and apiKey) from here when the environment has none; the worker's URL it is.
      '.grok/user-settings.json': `${JSON.stringify({ baseURL: baseUrl(inv), defaultModel: inv.model ?? GROK_DEFAULT_MODEL, settingsVersion: 2 }, null, 2)}\n`,
      // Every run writes `.grok/settings.json` ({"model":…}) into the repository when it has none;
      // git's default per-user excludes file keeps that out of the patch (the worker's git uses this HOME).
      '.config/git/ignore': '/.grok/settings.json\n',
      ...(inv.taskFile ? { '.grok/GROK.md': inv.task } : {}),
    },
  }),
  parser: () => new GrokParser(),
};

function baseUrl(inv: AgentInvocation): string {
  return inv.endpoints.xai ?? VENDOR_BASE_URLS.xai;
}

function largeTaskPrompt(taskFile: string): string {
  return (
    'Your task is too long for the command line. It is the CUSTOM INSTRUCTIONS section of your system prompt, ' +
    `and the same text is in the file ${taskFile}: if that section is missing or is not a task, read the file. Carry out the task.`
  );
}

/** One line grok prints: a chat message. */
const GrokMessage = z.object({
  role: z.string(),
  content: z.string().nullish(),
  tool_calls: z.array(z.unknown()).optional(),
  // grok-cli 0.0.34 prints no usage; read it should a later version (or the test fake) print it.
  usage: z.object({ prompt_tokens: z.unknown().optional(), completion_tokens: z.unknown().optional() }).optional(),
});
type GrokMessage = z.infer<typeof GrokMessage>;

/** What grok's agent loop answers when the API call throws (it then exits 0). */
const API_ERROR_PREFIX = 'Sorry, I encountered an error: ';
const ROUNDS_EXHAUSTED = 'Maximum tool execution rounds reached.';

export class GrokParser implements OutputParser {
  private final: string | undefined;
  private failure: AgentFailure | undefined;
  private input = 0;
  private output = 0;
  private sawUsage = false;
  private readonly joiner = new JsonLineJoiner();

  line(text: string, stream: 'out' | 'err'): 'stop' | void {
    if (stream === 'err') return;
    const whole = this.joiner.push(text);
    if (whole === undefined) return;
    const msg = parseMessage(whole);
    if (msg) return this.message(msg);
  }

  result(): AgentResult {
    const usage = this.sawUsage ? compactUsage({ inputTokens: this.input, outputTokens: this.output }) : undefined;
    return {
      ...(this.final !== undefined ? { finalMessage: clip(this.final) } : {}),
      ...(usage ? { usage } : {}),
      ...(this.failure ? { failure: this.failure } : {}),
    };
  }


  private message(msg: GrokMessage): 'stop' | void {
    if (msg.usage) {
      this.sawUsage = true;
      this.input += num(msg.usage.prompt_tokens) ?? 0;
      this.output += num(msg.usage.completion_tokens) ?? 0;
    }
    if (msg.role !== 'assistant' || (msg.tool_calls?.length ?? 0) > 0 || !msg.content?.trim()) return;
    const content = msg.content;
    this.final = content;
    if (content.startsWith(API_ERROR_PREFIX)) {
      const said = content.slice(API_ERROR_PREFIX.length);
      this.failure = { code: providerFailureCode(said) ?? 'agent_failed', message: clip(`grok: ${said}`, 500) };
      // The conversation is over (grok prints it only at the end): nothing more is worth waiting
      // for, and a repository's MCP server can keep the CLI alive long after.
      return 'stop';
    }
    if (content.startsWith(ROUNDS_EXHAUSTED)) this.failure = { code: 'agent_failed', message: `grok: ${content}` };
  }
}

function parseMessage(text: string): GrokMessage | undefined {
  const t = text.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const r = GrokMessage.safeParse(JSON.parse(t));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
