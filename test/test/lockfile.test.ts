import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '@outpost/infra/local';

const run = promisify(execFile);

/**
 * CI installs with `npm ci`, which refuses a lockfile that does not match package.json: the
 * committed package-lock.json must be exactly what npm writes for these manifests, every
 * platform's optional binaries included (else a clean clone's `npm install` rewrites it).
 */
describe('package-lock.json', () => {
  let dir: string;
  let committed: string;

  beforeAll(async () => {
    // The manifests and the lockfile alone, in a scratch copy: npm must not touch the checkout.
    dir = await mkdtemp(path.join(tmpdir(), 'outpost-lock-'));
    const { stdout } = await run('git', ['ls-files', 'package.json', '*/package.json', 'package-lock.json'], { cwd: REPO_ROOT });
    for (const file of stdout.split('\n').filter(Boolean)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await copyFile(path.join(REPO_ROOT, file), path.join(dir, file));
    }
    committed = await readFile(path.join(dir, 'package-lock.json'), 'utf8');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is what npm writes for the manifests (so `npm ci` accepts it and `npm install` leaves it alone)', async () => {
    // --offline: a complete lockfile needs no registry; one that lacks entries fails or changes here.
    await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: { ...process.env, npm_config_update_notifier: 'false' },
      timeout: 120_000,
    });
    const rewritten = await readFile(path.join(dir, 'package-lock.json'), 'utf8');
    expect(rewritten === committed ? 'unchanged' : `rewritten: ${rewritten.length - committed.length} characters`).toBe('unchanged');
  }, 150_000);

  it.each(['@swc/core-darwin-arm64', '@swc/core-win32-x64-msvc', '@swc/core-linux-x64-gnu'])('lists the optional binary %s', (name) => {
    expect(committed).toContain(`"node_modules/${name}"`);
  });

  it('CI installs with npm ci', async () => {
    const ci = await readFile(path.join(REPO_ROOT, '.ci/run'), 'utf8');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).not.toMatch(/^npm install\b/m);
  });
});
