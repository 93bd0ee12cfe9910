#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { markdownTable } from './report.js';
import { runAll, summarizeVariant, VARIANTS } from './run.js';
import { samplesChart } from './svg.js';

const Args = z.object({
  seed: z.coerce.number().int().default(17),
  out: z.string().min(1).default('docs/simulate'),
  tune: z.boolean().default(false),
});

// `npm run simulate [-- --seed N --out DIR --tune]`: prints the table, writes one SVG per tier and
// trace (the policy fleet), and with --tune compares the tier-default variants.
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string' }, out: { type: 'string' }, tune: { type: 'boolean' } } });
  const args = Args.parse(values);
  const sims = runAll(args.seed);
  process.stdout.write(`seed ${args.seed}\n\n${markdownTable(sims.map((s) => s.row))}\n`);
  await mkdir(args.out, { recursive: true });
  for (const s of sims.filter((x) => x.result.fleet === 'policy')) {
    const file = path.join(args.out, `${s.setup.tier}-${s.trace}.svg`);
    const title = `${s.setup.tier} / ${s.trace}: real scaling policy (seed ${args.seed})`;
    await writeFile(file, samplesChart(title, s.result.samples, s.setup.limits.maxWorkers));
  }
  process.stdout.write(`\ncharts in ${args.out}/\n`);
  if (!args.tune) return;
  const head = '| variant | tier | worst p50 s | worst p99 s | mean p99 s | worker-min (4 traces) | task starts |';
  const lines = [head, '|---|---|---|---|---|---|---|'];
  for (const v of VARIANTS) {
    for (const r of summarizeVariant(v.name, runAll(args.seed, v, ['policy']))) {
      lines.push(`| ${r.variant} | ${r.tier} | ${r.worstP50s} | ${r.worstP99s} | ${r.meanP99s} | ${r.workerMinutes} | ${r.launches} |`);
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
