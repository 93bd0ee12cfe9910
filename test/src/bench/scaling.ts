import { runAll } from '../simulate/run.js';

export const title = 'scaling policy (simulated, seed 17): worker-minutes as a ratio to the ideal fleet, and p99 wait vs the fixed fleet, per tier and trace';

const ratio = (n: number, base: number) => (base > 0 ? Math.round((n / base) * 100) / 100 : 0);

/**
 * The simulator's figures in the bench report: deterministic (virtual clock, seeded), so they
 * change only when the policy, a default or the model does. Full table: `npm run simulate`.
 */
export async function run(): Promise<Record<string, unknown>> {
  const sims = runAll(17);
  const out: Record<string, unknown> = {};
  for (const s of sims.filter((x) => x.row.fleet === 'policy')) {
    const same = (fleet: string) => sims.find((x) => x.row.tier === s.row.tier && x.row.trace === s.row.trace && x.row.fleet === fleet)!.row;
    const ideal = same('ideal');
    const fixed = same('fixed');
    const key = `${s.row.tier}/${s.row.trace}`;
    out[key] = {
      policyWorkerMinutesVsIdeal: ratio(s.row.workerMinutes, ideal.workerMinutes),
      fixedWorkerMinutesVsIdeal: ratio(fixed.workerMinutes, ideal.workerMinutes),
      policyP99WaitS: s.row.waitP99s,
      fixedP99WaitS: fixed.waitP99s,
    };
    process.stdout.write(
      `${key.padEnd(22)} worker-min ×${ratio(s.row.workerMinutes, ideal.workerMinutes)} of ideal (fixed ×${ratio(fixed.workerMinutes, ideal.workerMinutes)}); p99 wait ${s.row.waitP99s} s (fixed ${fixed.waitP99s} s)\n`,
    );
  }
  return out;
}
