// Docker cannot run here, so these check the structural facts of the images that matter for
// security and reproducibility; `docker build` itself is exercised by the deploy guide.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { agentCliPins } from '@outpost/shared';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  instructions: Instruction[];
}

/** Stages of a Dockerfile, with continuation lines joined and comments dropped. */
function parse(file: string): { args: Record<string, string>; stages: Stage[] } {
  const text = readFileSync(path.join(root, 'docker', file), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const ins = { op: op.toUpperCase(), args: rest };
    if (ins.op === 'FROM') stages.push({ name: /\bAS\s+(\S+)/i.exec(rest)?.[1] ?? `stage${stages.length}`, instructions: [] });
    else if (stages.length) stages.at(-1)!.instructions.push(ins);
    if (ins.op === 'ARG') {
      const [k, v] = rest.split('=');
      if (v !== undefined) args[k!] = v;
    }
  }
  return { args, stages };
}

const last = <T>(xs: T[]) => xs[xs.length - 1];
const runtimeOf = (file: string) => last(parse(file).stages)!;
const finalUser = (stage: Stage) => last(stage.instructions.filter((i) => i.op === 'USER'))?.args.trim() ?? 'root';
const runs = (stage: Stage) => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);

const IMAGES = [
  ['edge.Dockerfile', 'services/mcp-edge'],
  ['worker.Dockerfile', 'services/worker'],
  ['dispatcher.Dockerfile', 'services/dispatcher'],
  ['notifier.Dockerfile', 'services/notifier'],
] as const;

describe('Dockerfiles', () => {
  it.each(IMAGES)('%s is multi-stage and its runtime stage has production dependencies only', (file, pkg) => {
    const { stages } = parse(file);
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    const install = runs(stages[1]!).join(' ');
    expect(install).toMatch(/npm install --omit=dev/);
    // The runtime copies node_modules from deps and only compiled output from build.
    const copies = stages[2]!.instructions.filter((i) => i.op === 'COPY' && i.args.includes('--from=build')).map((i) => i.args);
    for (const c of copies) expect(c).toMatch(/\/dist /);
    expect(runs(stages[2]!).join(' ')).not.toMatch(/npm (ci|install)(?! -g)/);
    const cmd = stages[2]!.instructions.find((i) => i.op === 'CMD')!.args;
    expect(cmd).toContain(`${pkg}/dist/main.js`);
    expect(existsSync(path.join(root, pkg, 'src/main.ts'))).toBe(true);
  });

  it.each(IMAGES)('%s copies only paths that exist', (file, _pkg) => {
    const sources = parse(file)
      .stages.flatMap((s) => s.instructions)
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(3);
    for (const src of sources) expect([src, existsSync(path.join(root, src))]).toEqual([src, true]);
  });

  it.each([['edge.Dockerfile'], ['dispatcher.Dockerfile'], ['notifier.Dockerfile']])('%s runs as a non-root user', (file) => {
    expect(finalUser(runtimeOf(file))).not.toMatch(/^(root|0)(:.*)?$/);
  });

  it('the worker drops agents to an unprivileged user that exists in the image', () => {
    const runtime = runtimeOf('worker.Dockerfile');
    const env = runtime.instructions.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    const agentUser = /OUTPOST_AGENT_USER=(\S+)/.exec(env)?.[1];
    expect(agentUser).toBe('agent');
    const useradd = runs(runtime).find((r) => r.includes('useradd'));
    expect(useradd).toMatch(/--uid (\d+)/);
    expect(Number(/--uid (\d+)/.exec(useradd!)![1])).toBeGreaterThan(999);
    expect(useradd).toMatch(/ agent$/);
    expect(useradd).toContain('nologin');
  });

  it('the worker has git and installs every agent CLI from the one pin list (libs/shared/agent-clis.json)', () => {
    const runtime = runtimeOf('worker.Dockerfile');
    const commands = runs(runtime).join('\n');
    expect(commands).toMatch(/apt-get install[^\n]* git\b/);
    const copy = runtime.instructions.find((i) => i.op === 'COPY' && i.args.startsWith('libs/shared/agent-clis.json '));
    const inImage = copy!.args.split(/\s+/)[1]!;
    const npmLine = commands.split('\n').find((l) => l.includes('npm install -g'))!;
    // Evaluate the image's own expression against the real list: it must name exactly the npm pins.
    const expr = /\$\(node -e '([^']+)'\)/.exec(npmLine)![1]!.replaceAll(inImage, path.join(root, 'libs/shared/agent-clis.json'));
    const specs = execFileSync(process.execPath, ['-e', expr], { encoding: 'utf8' }).trim().split(' ');
    const pins = agentCliPins();
    const npmPins = Object.values(pins).filter((p) => p.source === 'npm');
    expect(specs.sort()).toEqual(npmPins.map((p) => `${p.package}@${p.version}`).sort());
    expect(npmPins.map((p) => p.package).sort()).toEqual(['@anthropic-ai/claude-code', '@google/gemini-cli', '@openai/codex', '@vibe-kit/grok-cli']);
    expect(pins.aider).toMatchObject({ source: 'pip', package: 'aider-chat' });
    expect(commands).toContain(`pip install --no-cache-dir "aider-chat==$(node -p 'require("${inImage}").aider.version')"`);
  });

  it('the edge image checks its own health on /healthz', () => {
    const health = runtimeOf('edge.Dockerfile').instructions.find((i) => i.op === 'HEALTHCHECK');
    expect(health?.args).toMatch(/CMD .*\/healthz/);
  });
});

describe('prune-workspaces.mjs', () => {
  it('keeps the named workspaces and root devDependencies, and drops every other devDependency', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'outpost-prune-'));
    const write = (file: string, json: unknown) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), JSON.stringify(json));
    };
    write('package.json', { workspaces: ['libs/a', 'services/b', 'infra'], devDependencies: { typescript: '5', jest: '30' }, scripts: { x: 'y' } });
    write('libs/a/package.json', { name: 'a', dependencies: { zod: '4' }, devDependencies: { dynalite: '4' } });
    write('services/b/package.json', { name: 'b', dependencies: { a: '*' }, devDependencies: { infra: '*' } });
    execFileSync(process.execPath, [path.join(root, 'docker/prune-workspaces.mjs'), '--dev=typescript', 'libs/a', 'services/b'], { cwd: dir });
    const read = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    expect(read('package.json')).toEqual({ workspaces: ['libs/a', 'services/b'], devDependencies: { typescript: '5' }, scripts: {} });
    expect(read('libs/a/package.json')).toEqual({ name: 'a', dependencies: { zod: '4' }, devDependencies: {} });
    expect(read('services/b/package.json')).toEqual({ name: 'b', dependencies: { a: '*' }, devDependencies: {} });
  });
});
