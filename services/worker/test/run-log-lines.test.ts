import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@outpost/shared';
import { until } from '@outpost/testkit';
import { Worker } from '../src/index.js';
import { harness, makeRepo, type Harness } from './helpers.js';

/** The worker's log as written, one JSON line each. */
class LineSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
}

describe('worker › log lines', () => {
  let h: Harness;
  let repo: { dir: string };
  const sink = new LineSink();

  beforeAll(async () => {
    h = await harness();
    repo = await makeRepo(h.tmp);
    const w = new Worker({ config: h.config(), clients: h.stack.clients, params: h.params, stores: h.stores, logger: createLogger({ service: 'worker', level: 'info', destination: sink }) });
    h.workers.push(w);
    await w.start();
  }, 60_000);
  afterAll(async () => h?.stop());

  const finished = (runId: string) =>
    until(() => sink.lines.map((l) => ({ raw: l, line: JSON.parse(l) as Record<string, unknown> })).find((l) => l.line.runId === runId && l.line.msg === 'run finished'), {
      what: `the "run finished" line of ${runId}`,
    });

  it('a failed run\'s "run finished" line carries its error code, and tenantId and runId once', async () => {
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'exit 3' });
    const end = await h.waitEnd(run);
    expect(end.status).toBe('failed');
    const { raw, line } = await finished(run.runId);
    expect(line).toMatchObject({ status: 'failed', code: end.error!.code, tenantId: run.tenantId });
    expect(raw.split('"tenantId":').length - 1).toBe(1);
    expect(raw.split('"runId":').length - 1).toBe(1);
  });

  it('a succeeded run\'s line has no code', async () => {
    const run = await h.dispatch({ agent: 'shell', repo: repo.dir, task: 'true' });
    expect((await h.waitEnd(run)).status).toBe('succeeded');
    const { line } = await finished(run.runId);
    expect(line.status).toBe('succeeded');
    expect(line).not.toHaveProperty('code');
  });
});
