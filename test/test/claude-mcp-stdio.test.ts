import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@outpost/infra/local';
import { pinnedCli, scratchClaudeEnv } from './helpers/pinned-cli.js';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAUNCHER = path.join(REPO_ROOT, 'infra/dist/local/main.js');

/** The launcher as `npm start` runs it, started from `cwd`, with its output kept. */
interface Launched {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function launch(env: Record<string, string>, cwd: string): Launched {
  const child = spawn(process.execPath, [LAUNCHER], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * `npm start` prints a stdio line; Claude Code, run from a directory outside the repository with a
 * scratch HOME, adds it exactly as printed and connects. Nothing is fetched from a registry: the
 * line must name a file in this checkout, never `npx`.
 */
describe('a real MCP client over stdio: the `claude mcp add` line npm start prints', () => {
  let dir: string;
  let home: string;
  let claudeBin: string;
  const running: Launched[] = [];

  beforeAll(async () => {
    if (!existsSync(LAUNCHER)) throw new Error(`${LAUNCHER} is missing: build the workspace first`);
    claudeBin = await pinnedCli('claude');
    dir = await mkdtemp(path.join(tmpdir(), 'outpost-stdio-'));
    home = path.join(dir, 'user');
    await mkdir(home, { recursive: true });
  }, 300_000);
  afterEach(async () => {
    for (const l of running.splice(0)) {
      if (l.child.exitCode === null && l.child.signalCode === null) {
        l.child.kill('SIGTERM');
        await l.exited;
      }
    }
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs a printed `claude …` line through sh, with the pinned CLI as `claude` and a scratch HOME. */
  const shell = async (line: string, cwd: string) => {
    expect(line.startsWith('claude ')).toBe(true);
    const env = {
      ...scratchClaudeEnv(home),
      // Were the line to reach a registry, it would fail here rather than fetch.
      npm_config_offline: 'true',
    };
    // claude exits 0 even when a server fails to connect: callers check the text.
    const { stdout, stderr } = await run('sh', ['-c', `"$CLAUDE" ${line.slice('claude '.length)}`], { cwd, env: { ...env, CLAUDE: claudeBin }, timeout: 90_000 });
    return `${stdout}\n${stderr}`;
  };

  const start = async (outpostHome: string) => {
    const l = launch(
      {
        OUTPOST_HOME: outpostHome,
        OUTPOST_LOG_LEVEL: 'warn',
        OUTPOST_EDGE_PORT: String(await freePort()),
        OUTPOST_DYNAMODB_PORT: String(await freePort()),
        OUTPOST_SQS_PORT: String(await freePort()),
      },
      dir,
    );
    running.push(l);
    // The banner ends with this line; an exit before it is the failure to report.
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (l.stdout().includes('Press Ctrl-C to stop')) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
      void l.exited.then((code) => {
        clearInterval(poll);
        reject(new Error(`launcher exited ${code} before its banner: ${l.stderr()}`));
      });
    });
    return l;
  };

  const stdioLine = (banner: string) => {
    const line = banner
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('claude mcp add') && !l.includes('--transport http'));
    if (!line) throw new Error(`no stdio \`claude mcp add\` line in the banner:\n${banner}`);
    return line;
  };

  it('prints a stdio line beside the HTTP line, and Claude Code connects with it from another directory', async () => {
    const l = await start(path.join(dir, 'stack', '.outpost'));
    const banner = l.stdout();
    expect(banner).toMatch(/claude mcp add --transport http outpost /);
    const line = stdioLine(banner);
    // A path to the built bin, never a name looked up on PATH or a registry.
    expect(line).not.toMatch(/\bnpx\b|npm exec|-- outpost-mcp\b/);
    expect(line).toContain(path.join(REPO_ROOT, 'packages/outpost-mcp/dist/'));

    const project = path.join(dir, 'elsewhere', 'project');
    await mkdir(project, { recursive: true });
    const added = await shell(line, project);
    expect(added).toMatch(/Added stdio MCP server outpost/);
    const listed = await shell('claude mcp list', project);
    const entry = listed.split('\n').find((x) => x.startsWith('outpost:'));
    expect(entry).toBeDefined();
    expect(entry).toMatch(/✔ Connected/);
  }, 180_000);

  it('after a restart the key is not printed, and both printed lines still connect (they read it from local.json)', async () => {
    const outpostHome = path.join(dir, 'stack-again', '.outpost');
    const first = await start(outpostHome);
    const apiKey = /op_test_[A-Za-z0-9_-]+/.exec(first.stdout())?.[0];
    expect(apiKey).toBeDefined();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    running.splice(running.indexOf(first), 1);

    const second = await start(outpostHome);
    const banner = second.stdout();
    // The banner comes once the edge answers, so the HTTP line works the moment it is printed.
    const mcpUrl = /MCP URL:\s+(\S+)/.exec(banner)?.[1];
    expect((await fetch(new URL('/healthz', mcpUrl)).catch((err: Error) => ({ status: err.message }))).status).toBe(200);
    expect(banner).not.toContain(apiKey);
    const http = banner
      .split('\n')
      .map((x) => x.trim())
      .find((x) => x.startsWith('claude mcp add --transport http') && x.includes('--header'));
    // The first HTTP line is the OAuth one (no header: the client signs in); this one carries the key.
    expect(http).toBeDefined();
    for (const [name, line] of [['outpost-http', http!], ['outpost-stdio', stdioLine(banner)]] as const) {
      const project = path.join(dir, 'elsewhere', name);
      await mkdir(project, { recursive: true });
      await shell(line, project);
      const listed = await shell('claude mcp list', project);
      expect(listed.split('\n').find((x) => x.startsWith('outpost:'))).toMatch(/✔ Connected/);
    }
  }, 240_000);

  it('the check can fail: the same line with a wrong key is not connected', async () => {
    const l = await start(path.join(dir, 'stack-bad', '.outpost'));
    const line = stdioLine(l.stdout()).replace(/op_(test|live)_[A-Za-z0-9_-]+/, 'op_test_wrongwrongwrongwrongwrongwrong');
    const project = path.join(dir, 'elsewhere', 'project-bad');
    await mkdir(project, { recursive: true });
    await shell(line, project);
    const listed = await shell('claude mcp list', project);
    const entry = listed.split('\n').find((x) => x.startsWith('outpost:'));
    expect(entry).toBeDefined();
    expect(entry).not.toMatch(/✔ Connected/);
  }, 180_000);
});
