import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describeInstall, freePort, installAgentClis, launchLocalStack, LocalJson, LocalStackEnv, type LocalStackHandle } from '@outpost/infra/local';
import { agentCacheDir, FileParameterStore, parameterPaths, parseEnv, silentLogger, type AgentName, type RunError, type RunSpendView, type RunSummary, type SecretName } from '@outpost/shared';
import { startScriptedModelApi, type ModelApi, type Script, type ScriptUsage } from '../../src/model-api/index.js';

type Structured = Record<string, unknown>;

/** A run as `get_run` shows it, with its patch and whole log fetched through their presigned URLs. */
export interface EndedRun {
  runId: string;
  status: string;
  error?: RunError;
  summary?: RunSummary;
  model?: string;
  /** What the run spent through the model gateway. */
  spend?: RunSpendView;
  /** patch.diff, '' when the run kept none. */
  patch: string;
  /** log.txt, '' when the run kept none. */
  log: string;
  /** Seconds from dispatch to the end, as the test saw it. */
  seconds: number;
}

export interface AgentSuite {
  api: ModelApi;
  stack: LocalStackHandle;
  /** A tool call through the real MCP client; a tool error throws. */
  call(name: string, args: Structured): Promise<Structured>;
  /** Sets one of the local tenant's secrets (as `npm run tenant -- set-secret` does). */
  setSecret(name: SecretName, value: string): Promise<void>;
  /** A git repository (a directory with one commit of `files`) to dispatch against. */
  repo(files?: Record<string, string>): Promise<string>;
  /**
   * A fresh tenant key (`keyPrefix…`) answered with `script` and stored as the tenant's `secret`,
   * then one run to its end; its seconds are kept under `name` and printed at stop().
   */
  scriptedRun(o: {
    agent: AgentName;
    secret: SecretName;
    keyPrefix: string;
    name: string;
    script: Script;
    usage?: ScriptUsage;
    task: string;
    model?: string;
    files?: Record<string, string>;
  }): Promise<{ end: EndedRun; key: string }>;
  /** dispatch, wait for the end, get_run, and fetch patch and log. */
  runToEnd(args: { agent: AgentName; task: string; repo: string; model?: string; timeoutSeconds?: number; maxCostUsd?: number }): Promise<EndedRun>;
  stop(): Promise<void>;
}

/**
 * The whole product around real agent CLIs: the pinned CLIs (installed into the project's cache
 * the first time), the scripted model API on loopback as every provider's endpoint, and the
 * local stack as `npm start` runs it (edge, dispatcher, workers), driven by a real MCP client.
 */
export async function startAgentSuite(agents: readonly AgentName[]): Promise<AgentSuite> {
  const cacheDir = agentCacheDir();
  const installed = await installAgentClis({ cacheDir, agents });
  for (const r of installed) if (r.result === 'installed') process.stderr.write(`agent suite: ${describeInstall(r)}\n`);
  const dir = await mkdtemp(path.join(tmpdir(), 'outpost-agents-'));
  await chmod(dir, 0o755);
  const api = await startScriptedModelApi();
  const home = path.join(dir, '.outpost');
  const env = parseEnv(LocalStackEnv, {
    OUTPOST_HOME: home,
    OUTPOST_LOG_LEVEL: process.env.OUTPOST_TEST_STACK_LOG ?? 'warn',
    OUTPOST_EDGE_PORT: String(await freePort()),
    OUTPOST_DYNAMODB_PORT: String(await freePort()),
    OUTPOST_SQS_PORT: String(await freePort()),
  });
  const stack = await launchLocalStack({
    env,
    logger: silentLogger,
    stdio: process.env.OUTPOST_TEST_STACK_LOG ? 'inherit' : 'ignore',
    serviceEnv: {
      OUTPOST_AGENT_CACHE: cacheDir,
      OUTPOST_ANTHROPIC_BASE_URL: api.url,
      OUTPOST_OPENAI_BASE_URL: `${api.url}/v1`,
      OUTPOST_GEMINI_BASE_URL: api.url,
      OUTPOST_XAI_BASE_URL: `${api.url}/v1`,
      OUTPOST_WORKER_ROOT: path.join(dir, 'work'),
    },
  });
  const local = LocalJson.parse(JSON.parse(await readFile(path.join(home, 'local.json'), 'utf8')));
  const healthz = new URL('/healthz', local.mcpUrl);
  for (const deadline = Date.now() + 60_000; !(await fetch(healthz).then((r) => r.ok, () => false)); ) {
    if (Date.now() > deadline) throw new Error(`the edge did not answer ${healthz.href}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const client = new Client({ name: 'agent-suite', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(local.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${local.apiKey}` } } }));
  const params = new FileParameterStore(path.join(home, 'secrets.json'));

  const call = async (name: string, args: Structured): Promise<Structured> => {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 330_000 });
    if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
    return result.structuredContent as Structured;
  };
  const fetchArtifact = async (artifacts: { name: string; url: string }[], name: string) => {
    const a = artifacts.find((x) => x.name === name);
    return a ? (await fetch(a.url)).text() : '';
  };
  let repos = 0;
  let keys = 0;
  const seconds: Record<string, number> = {};
  const suite: AgentSuite = {
    api,
    stack,
    call,
    setSecret: (name, value) => params.put(parameterPaths.tenantSecret(stack.childEnv.OUTPOST_ENV ?? 'local', local.tenantId, name), value),
    async repo(files = { 'README.md': '# scratch\n' }) {
      const repo = path.join(dir, `repo-${++repos}`);
      await mkdir(repo, { mode: 0o755 });
      for (const [name, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(repo, name)), { recursive: true });
        await writeFile(path.join(repo, name), content);
      }
      const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd: repo, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
      g('init', '-q', '-b', 'main');
      g('add', '-A');
      g('commit', '-q', '-m', 'initial');
      return repo;
    },
    async scriptedRun(o) {
      const key = `${o.keyPrefix}-e2e-${o.name.replace(/[^A-Za-z0-9]+/g, '-')}-${++keys}-${'k'.repeat(24)}`;
      suite.api.script(key, o.script, o.usage);
      await suite.setSecret(o.secret, key);
      const repo = await suite.repo(o.files);
      const end = await suite.runToEnd({ agent: o.agent, task: o.task, repo, ...(o.model ? { model: o.model } : {}), timeoutSeconds: 120 });
      seconds[o.name] = end.seconds;
      return { end, key };
    },
    async runToEnd({ timeoutSeconds = 300, ...args }) {
      const started = Date.now();
      const dispatched = await call('dispatch', { ...args, timeoutSeconds });
      const runId = (dispatched.runs as { runId: string }[])[0]!.runId;
      let waited: Structured = {};
      for (let i = 0; i < 12 && !waited.ended; i++) waited = await call('wait_for_run', { runId, timeoutSeconds: 60 });
      if (!waited.ended) throw new Error(`run ${runId} did not end`);
      const seconds = (Date.now() - started) / 1000;
      const got = await call('get_run', { runId });
      const run = got.run as { status: string; error?: RunError; summary?: RunSummary; model?: string; spend?: RunSpendView };
      const artifacts = (got.artifacts ?? []) as { name: string; url: string }[];
      return {
        runId,
        status: run.status,
        ...(run.error ? { error: run.error } : {}),
        ...(run.summary ? { summary: run.summary } : {}),
        ...(run.model ? { model: run.model } : {}),
        ...(run.spend ? { spend: run.spend } : {}),
        patch: await fetchArtifact(artifacts, 'patch.diff'),
        log: await fetchArtifact(artifacts, 'log.txt'),
        seconds,
      };
    },
    async stop() {
      if (Object.keys(seconds).length) process.stderr.write(`${agents.join(', ')} e2e seconds: ${JSON.stringify(seconds)}\n`);
      await client.close().catch(() => {});
      await stack.stop();
      await api.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return suite;
}

/** A task of more than `bytes` bytes of UTF-8 (dispatch caps characters, not bytes), ending in `marker`. */
export function largeTask(marker: string, bytes = 110 * 1024): string {
  const filler = '日'.repeat(Math.ceil(bytes / 3));
  return `The notes below are context only.\n${filler}\n${marker}`;
}
