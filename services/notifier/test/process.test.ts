import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testTenant, until } from '@outpost/testkit';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Receiver } from './helpers/receiver.js';
import { openHarness, type Harness } from './helpers/stack.js';

const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

/** The notifier as the launcher and ECS run it: its own process, configured by its environment. */
(existsSync(ENTRY) ? describe : describe.skip)('notifier process (dist/main.js)', () => {
  let h: Harness;
  let child: ChildProcess;
  const receiver = new Receiver();
  let exited: Promise<number | null>;

  beforeAll(async () => {
    h = await openHarness();
    await receiver.start();
    child = spawn(process.execPath, [ENTRY], {
      env: { ...h.stack.env, PATH: process.env.PATH ?? '', OUTPOST_NOTIFIER_POLL_SECONDS: '1', OUTPOST_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await receiver.stop();
    await h.close();
  });

  it('delivers a relayed event and stops cleanly on SIGTERM', async () => {
    const tenant = testTenant();
    receiver.secret = (await h.addEndpoint(tenant, receiver.url)).secret;
    const runId = await h.finishedRun(tenant);
    await h.relay.pass();
    await until(() => receiver.events.size === 1, { what: 'the delivery by the notifier process' });
    expect(receiver.requests[0]!.verified).toBe(true);
    expect(receiver.requests[0]!.body).toContain(runId);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
