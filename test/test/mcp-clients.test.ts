import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startEdge, type Edge } from '@outpost/mcp-edge';
import { FileParameterStore, openStores, parameterPaths, type AgentName } from '@outpost/shared';
import { startTestStack, type TestStack } from '@outpost/testkit';
import { startScriptedModelApi, toolBySuffix, type ModelApi, type RecordedRequest, type Script } from '../src/model-api/index.js';
import { pinnedCli, scratchClaudeEnv } from './helpers/pinned-cli.js';

const run = promisify(execFile);

/** What one CLI needs: how it is told about the edge and the model API, and how it runs one prompt. */
interface McpClientCli {
  agent: Extract<AgentName, 'claude' | 'codex' | 'gemini'>;
  /** Registers the edge as MCP server `outpost` the way the CLI's docs say, in `home` for `project`. */
  add(o: Ctx): Promise<string>;
  /** What `add` prints when the server is registered (and, for gemini, listed as connected, not "Disabled"). */
  added: RegExp;
  /** Runs the prompt headless; the model API answers with the key's script. */
  prompt(o: Ctx, prompt: string): Promise<string>;
}

interface Ctx {
  bin: string;
  home: string;
  project: string;
  mcpUrl: string;
  apiKey: string;
  modelUrl: string;
  modelKey: string;
}

const exec = async (bin: string, args: string[], cwd: string, env: Record<string, string>, input?: string) => {
  const child = run(bin, args, { cwd, env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  else child.child.stdin?.end();
  // A CLI that fails says why on its output: the caller's assertions show it.
  const { stdout, stderr } = await child.catch((err: { stdout?: string; stderr?: string; message?: string }) => ({ stdout: err.stdout ?? '', stderr: `${err.stderr ?? ''}\n${err.message ?? ''}` }));
  return `${stdout}\n${stderr}`;
};

const claude: McpClientCli = {
  agent: 'claude',
  added: /Added HTTP MCP server outpost/,
  add: (o) => exec(o.bin, ['mcp', 'add', '--transport', 'http', 'outpost', o.mcpUrl, '--header', `Authorization: Bearer ${o.apiKey}`], o.project, claudeEnv(o)),
  // `mcp__outpost` allows every tool of the server (Claude Code's permission rule syntax); root may not skip permissions.
  prompt: (o, prompt) => exec(o.bin, ['-p', prompt, '--output-format', 'json', '--allowedTools', 'mcp__outpost', '--max-turns', '6'], o.project, claudeEnv(o)),
};
function claudeEnv(o: Ctx): Record<string, string> {
  // Tool search off: else Claude Code defers MCP tools behind its ToolSearch tool and offers only their names.
  return { ...scratchClaudeEnv(o.home), ANTHROPIC_BASE_URL: o.modelUrl, ANTHROPIC_API_KEY: o.modelKey, ENABLE_TOOL_SEARCH: 'false' };
}

const codex: McpClientCli = {
  agent: 'codex',
  added: /Added global MCP server 'outpost'/,
  // Writes `[mcp_servers.outpost] url, bearer_token_env_var` into $CODEX_HOME/config.toml.
  add: (o) => exec(o.bin, ['mcp', 'add', 'outpost', '--url', o.mcpUrl, '--bearer-token-env-var', 'OUTPOST_API_KEY'], o.project, codexEnv(o)),
  prompt: (o, prompt) =>
    exec(
      o.bin,
      [
        'exec',
        '--json',
        '--skip-git-repo-check',
        '--dangerously-bypass-approvals-and-sandbox',
        // A model codex does not know: for its own models it hides MCP tools inside its code-mode `exec` tool.
        '--model',
        'codex-mcp-model',
        // The model API as a provider of our own (codex ignores OPENAI_BASE_URL), HTTP only, as the worker sets it.
        '-c',
        'model_provider="scripted"',
        '-c',
        `model_providers.scripted={ name = "scripted", base_url = "${o.modelUrl}/v1", env_key = "OPENAI_API_KEY", wire_api = "responses", supports_websockets = false, request_max_retries = 0, stream_max_retries = 0 }`,
        '-c',
        'check_for_update_on_startup=false',
        '-c',
        'analytics.enabled=false',
        '--',
        prompt,
      ],
      o.project,
      codexEnv(o),
    ),
};
function codexEnv(o: Ctx): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: o.home, CODEX_HOME: path.join(o.home, '.codex'), OPENAI_API_KEY: o.modelKey, OUTPOST_API_KEY: o.apiKey };
}

const gemini: McpClientCli = {
  agent: 'gemini',
  added: /outpost: .*\(http\) - Connected/,
  add: async (o) => {
    const dir = path.join(o.home, '.gemini');
    await mkdir(dir, { recursive: true });
    // The API-key auth the base URL needs, and the project trusted: in an untrusted folder the CLI lists the server as "Disabled".
    await writeFile(path.join(dir, 'settings.json'), JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: true } } }));
    await writeFile(path.join(dir, 'trustedFolders.json'), JSON.stringify({ [o.project]: 'TRUST_FOLDER' }));
    const added = await exec(o.bin, ['mcp', 'add', '-s', 'user', '--transport', 'http', 'outpost', o.mcpUrl, '-H', `Authorization: Bearer ${o.apiKey}`], o.project, geminiEnv(o));
    return `${added}\n${await exec(o.bin, ['mcp', 'list'], o.project, geminiEnv(o))}`;
  },
  prompt: (o, prompt) => exec(o.bin, [`--prompt=${prompt}`, '--output-format', 'json', '--yolo', '--model', 'gemini-2.5-flash'], o.project, geminiEnv(o)),
};
function geminiEnv(o: Ctx): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: o.home,
    GEMINI_CLI_HOME: o.home,
    GOOGLE_GEMINI_BASE_URL: o.modelUrl,
    GEMINI_API_KEY: o.modelKey,
    GEMINI_TELEMETRY_ENABLED: 'false',
    GEMINI_CLI_NO_RELAUNCH: 'true',
  };
}

/** The tool names a request offered, wherever its protocol puts them. */
function offeredNames(r: RecordedRequest): string[] {
  const body = r.body as Record<string, unknown> | undefined;
  const out: string[] = [];
  const walk = (v: unknown, ns = ''): void => {
    if (!Array.isArray(v)) return;
    for (const t of v as Record<string, unknown>[]) {
      if (typeof t !== 'object' || t === null) continue;
      if (Array.isArray(t.functionDeclarations)) walk(t.functionDeclarations);
      else if (t.type === 'namespace') walk(t.tools, typeof t.name === 'string' && t.name !== 'functions' ? `${t.name}.` : '');
      else if (typeof t.name === 'string') out.push(`${ns}${t.name}`);
    }
  };
  walk(body?.tools);
  if (Array.isArray(body?.input)) for (const i of body.input as Record<string, unknown>[]) if (i?.type === 'additional_tools') walk(i.tools);
  return out;
}

describe('real MCP clients: Claude Code, Codex CLI, Gemini CLI call the edge as their model asks', () => {
  let home: string;
  let stack: TestStack;
  let edge: Edge;
  let api: ModelApi;
  let apiKey: string;
  let tenantId: string;
  let repo: string;
  let stores: ReturnType<typeof openStores>;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'outpost-mcp-clients-'));
    stack = await startTestStack({ home: path.join(home, 'outpost') });
    edge = await startEdge({ config: { ...stack.config, port: 0, host: '127.0.0.1' }, clients: stack.clients });
    stores = openStores(stack.config, stack.clients);
    const tenant = await stores.tenants.createTenant({ name: 'mcp-clients', tier: 'pro' });
    tenantId = tenant.tenantId;
    apiKey = (await stores.tenants.createApiKey(tenant.tenantId, 'test')).apiKey;
    // dispatch refuses an agent whose key the tenant has not stored.
    const params = new FileParameterStore(path.join(stack.config.home, 'secrets.json'));
    await params.put(parameterPaths.tenantSecret(stack.config.env, tenantId, 'anthropic_api_key'), 'sk-ant-unused-by-this-test');
    api = await startScriptedModelApi();
    repo = path.join(home, 'repo');
    await mkdir(repo);
    await writeFile(path.join(repo, 'README.md'), '# scratch\n');
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
    g('init', '-q', '-b', 'main');
    g('add', '-A');
    g('commit', '-q', '-m', 'initial');
  }, 300_000);
  afterAll(async () => {
    await edge?.close(1_000);
    await stack?.stop();
    await api?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it.each([claude, codex, gemini])('$agent: fleet_status, then dispatch; the run is in the store and both results reach the model', async (cli) => {
    const bin = await pinnedCli(cli.agent);
    const cliHome = path.join(home, `home-${cli.agent}`);
    const project = path.join(home, `project-${cli.agent}`);
    await mkdir(path.join(cliHome, '.codex'), { recursive: true });
    await mkdir(project, { recursive: true });
    const task = `Scripted task from ${cli.agent} via MCP ${Date.now()}`;
    const modelKey = `sk-mcp-${cli.agent}-${'k'.repeat(24)}`;
    const script: Script = [
      { kind: 'tool', suffix: 'fleet_status', args: {} },
      { kind: 'tool', suffix: 'dispatch', args: { agent: 'claude', task, repo } },
      { kind: 'final', text: `dispatched through ${cli.agent}` },
    ];
    api.script(modelKey, script);
    const ctx: Ctx = { bin, home: cliHome, project, mcpUrl: `${edge.url}/mcp`, apiKey, modelUrl: api.url, modelKey };

    const added = await cli.add(ctx);
    const out = await cli.prompt(ctx, 'Check the fleet, then dispatch the scripted task.');

    const reqs = api.requestsFor(modelKey);
    if (process.env.MCP_CLIENTS_DEBUG) await writeFile(path.join(tmpdir(), `mcp-clients-${cli.agent}.json`), JSON.stringify({ out, reqs }, null, 1));
    const offered = [...new Set(reqs.flatMap(offeredNames))];
    const names = { status: toolBySuffix(offered, 'fleet_status'), dispatch: toolBySuffix(offered, 'dispatch') };
    process.stderr.write(`${cli.agent}: the model saw the edge's tools as ${JSON.stringify(names)}\n`);
    expect({ names, added }).toEqual({ names: { status: expect.any(String), dispatch: expect.any(String) }, added: expect.stringMatching(cli.added) });
    // The call reached the edge: the run is in the store with the scripted task.
    const runs = (await stores.runs.list(tenantId)).runs.filter((r) => r.task === task);
    expect({ runs: runs.length, out: runs.length === 1 ? '' : out }).toEqual({ runs: 1, out: '' });
    // Both results reached the model, each in a request after its call: fleet_status's usage of the tenant's tier (claude
    // and codex pass the structured result as JSON, gemini the text) and dispatch's new run id.
    const first = (re: RegExp) => reqs.findIndex((r) => re.test(r.text));
    const fleet = first(/your usage \(pro\)|"usage":\{"tier":"pro"/);
    expect({ fleet: fleet >= 1, dispatched: first(new RegExp(runs[0]!.runId)) > fleet }).toEqual({ fleet: true, dispatched: true });
    expect(out).toContain(`dispatched through ${cli.agent}`);
  }, 300_000);
});
