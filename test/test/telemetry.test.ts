import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createAwsClients, FileParameterStore, METRIC_NAMES, openStores, resolveTiers, type Stores } from '@outpost/shared';
import { startEdge, type Edge } from '@outpost/mcp-edge';
import { callOk, createBareRemote, startMemoryTelemetry, startTestStack, type MemoryTelemetry, type TestStack } from '@outpost/testkit';
import { loadWorkerConfig, Worker } from '@outpost/worker';

/** The trace a calling assistant already has open: the edge must continue it. */
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_TRACEPARENT = `00-${CALLER_TRACE}-00f067aa0ba902b7-01`;

describe('telemetry: one trace per run, from the MCP tool call to the terminal write (edge + worker in-process)', () => {
  let otel: MemoryTelemetry;
  let tmp: string;
  let stack: TestStack;
  let stores: Stores;
  let edge: Edge;
  let worker: Worker;
  let remote: string;
  let client: Client;
  /** What each of the worker's receives asked for (fauxqs returns every attribute when none is named; SQS returns none). */
  const receives: string[][] = [];

  beforeAll(async () => {
    // Before any client exists: the same in-memory exporter sees the edge's and the worker's spans.
    otel = startMemoryTelemetry();
    tmp = await mkdtemp(path.join(tmpdir(), 'outpost-telemetry-'));
    await chmod(tmp, 0o755); // agents run as `nobody` when the tests run as root
    const home = path.join(tmp, 'home');
    await mkdir(home);
    stack = await startTestStack({ home });
    stores = openStores(stack.config, stack.clients);
    remote = await createBareRemote(tmp, 'acme', 'traced', { 'README.md': '# traced\n' });

    edge = await startEdge({ config: { ...stack.config, tiers: resolveTiers({}), port: 0, host: '127.0.0.1', authCacheMs: 15_000 }, clients: createAwsClients(stack.config) });
    stack.clients.sqs.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === 'ReceiveMessageCommand') receives.push((args.input as { MessageAttributeNames?: string[] }).MessageAttributeNames ?? []);
        return next(args);
      },
      { step: 'initialize', name: 'recordReceives' },
    );
    worker = new Worker({
      config: loadWorkerConfig({ ...stack.env, OUTPOST_WORKER_TIER: 'enterprise', OUTPOST_WORKER_ROOT: path.join(tmp, 'work') }),
      clients: stack.clients,
      params: new FileParameterStore(path.join(home, 'secrets.json')),
      stores,
    });
    await worker.start();
    const t = await stores.tenants.createTenant({ name: 'traced', tier: 'enterprise' });
    const { apiKey } = await stores.tenants.createApiKey(t.tenantId, 'test');
    client = new Client({ name: 'telemetry-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${edge.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${apiKey}`, traceparent: CALLER_TRACEPARENT } } }),
    );
  }, 120_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await worker?.stop({ graceMs: 0 });
    await edge?.close(1_000);
    await stack?.stop();
    await otel?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  const dispatchAndWait = async (task: string): Promise<{ runId: string; status: string }> => {
    const out = await callOk(client, 'dispatch', { agent: 'shell', task, repo: remote });
    const runId = out.runs[0].runId as string;
    const end = await callOk(client, 'wait_for_run', { runId, timeoutSeconds: 120 });
    return { runId, status: end.run.status as string };
  };

  it('the dispatch call, the SQS job, the lease, clone, agent, uploads, terminal write and promote share one trace id', async () => {
    const { runId, status } = await dispatchAndWait('echo traced > traced.txt');
    expect(status).toBe('succeeded');
    const spans = otel.spans();
    const toolCall = spans.find((s) => s.name === 'tools/call dispatch');
    expect(toolCall).toBeDefined();
    // The client's own trace continues through the edge.
    const traceId = toolCall!.spanContext().traceId;
    expect(traceId).toBe(CALLER_TRACE);
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const names = inTrace.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['DynamoDB.PutItem', 'enqueue enterprise', 'SQS.SendMessage', 'run enterprise', 'lease', 'clone', 'agent shell', 'upload artifacts', 'finish']));
    // Real SQS hands a message attribute only to a receive that names it.
    expect(receives.length).toBeGreaterThan(0);
    for (const names of receives) expect(names).toContain('traceparent');
    const job = inTrace.find((s) => s.name === 'run enterprise' && s.attributes['outpost.run_id'] === runId);
    expect(job?.attributes['outpost.job_outcome']).toBe('succeeded');
    // The terminal write is a DynamoDB call under the worker's `finish` span.
    const finish = inTrace.find((s) => s.name === 'finish');
    expect(finish?.attributes['outpost.status']).toBe('succeeded');
    const terminalWrite = inTrace.find((s) => s.name === 'DynamoDB.UpdateItem' && s.parentSpanContext?.spanId === finish!.spanContext().spanId);
    expect(terminalWrite).toBeDefined();
    // The run remembers its trace, so later work (recovery, promote) joins it.
    const stored = await stores.runs.get(job!.attributes['outpost.tenant_id'] as string, runId);
    expect(stored?.traceparent?.split('-')[1]).toBe(traceId);

    // promote is a later call with its own request, yet the promotion lands in the run's trace.
    const promoted = await callOk(client, 'promote', { runId, commitMessage: 'traced' });
    expect(promoted.outcome).toBe('succeeded');
    const after = otel.spans();
    const promoteSend = after.find((s) => s.name === 'promote' && s.attributes['outpost.run_id'] === runId);
    expect(promoteSend?.spanContext().traceId).toBe(traceId);
    expect(promoteSend?.links.map((l) => l.context.spanId)).toHaveLength(1);
    const promoteJob = after.find((s) => s.name === 'promote enterprise' && s.attributes['outpost.run_id'] === runId);
    expect(promoteJob?.spanContext().traceId).toBe(traceId);
  });

  it("a run's periodic writes (lease renewals, log chunks, progress) stay out of its trace", async () => {
    const { runId, status } = await dispatchAndWait('for i in 1 2 3 4 5 6 7; do echo tick $i; sleep 0.5; done');
    expect(status).toBe('succeeded');
    const job = otel.spans().find((s) => s.name === 'run enterprise' && s.attributes['outpost.run_id'] === runId);
    // Timers started inside the job span would hang their writes right under it.
    const direct = otel.spans().filter((s) => s.parentSpanContext?.spanId === job!.spanContext().spanId);
    const count = (name: string) => direct.filter((s) => s.name === name).length;
    // 3.5 s of output, untraced: ~2 lease renewals, ~3 progress writes, ~3 log chunks. Traced: the
    // base commit and the last progress write when the log closes; the chunks written at the end.
    expect(count('DynamoDB.UpdateItem')).toBeLessThanOrEqual(2);
    expect(count('S3.PutObject')).toBeLessThanOrEqual(2);
  });

  it('counts runs dispatched and finished by tier, agent and status, with their queue waits and durations', async () => {
    const attrs = { tier: 'enterprise', agent: 'shell' };
    const read = async () => ({
      dispatched: await otel.metric(METRIC_NAMES.runsDispatched, attrs),
      succeeded: await otel.metric(METRIC_NAMES.runsFinished, { ...attrs, status: 'succeeded' }),
      failed: await otel.metric(METRIC_NAMES.runsFinished, { ...attrs, status: 'failed' }),
      waits: await otel.metric(METRIC_NAMES.queueWait, { tier: 'enterprise' }),
      durations: await otel.metric(METRIC_NAMES.runDuration, attrs),
    });
    const before = await read();
    const ends = await Promise.all([dispatchAndWait('true'), dispatchAndWait('echo ok'), dispatchAndWait('exit 3')]);
    expect(ends.map((e) => e.status).sort()).toEqual(['failed', 'succeeded', 'succeeded']);
    const after = await read();
    expect(after.dispatched - before.dispatched).toBe(3);
    expect(after.succeeded - before.succeeded).toBe(2);
    expect(after.failed - before.failed).toBe(1);
    expect(after.waits - before.waits).toBe(3);
    expect(after.durations - before.durations).toBe(3);
  });
});
