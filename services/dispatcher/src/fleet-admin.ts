import type { SQSClient } from '@aws-sdk/client-sqs';
import { TIER_NAMES, TierName, UsageError, type ParameterStore, type Stores, type TierTable } from '@outpost/shared';
import { readBacklog } from './backlog.js';
import { readFleetOverrides, resolveFleetBounds, writeFleetOverride, type FleetOverride } from './fleet-overrides.js';

export const FLEET_USAGE = `usage:
  npm run fleet -- status [--json]
  npm run fleet -- set <free|pro|enterprise> [--min N] [--max N] [--runs-per-worker N] [--clear]
    --clear removes the tier's override (the tier table applies); "--min -" removes one field.`;

export type FleetCommand =
  | { command: 'status'; json: boolean }
  | { command: 'set'; tier: TierName; change: { [K in keyof FleetOverride]?: number | null }; clear: boolean };

/** Parses `status …` or `set <tier> …`. */
export function parseFleetArgs(argv: readonly string[]): FleetCommand {
  const [command, ...rest] = argv;
  if (command === 'status') {
    const unknown = rest.filter((a) => a !== '--json');
    if (unknown.length) throw new UsageError(`unknown argument ${unknown[0]}\n${FLEET_USAGE}`);
    return { command: 'status', json: rest.includes('--json') };
  }
  if (command !== 'set') throw new UsageError(FLEET_USAGE);
  const tier = TierName.safeParse(rest[0]);
  if (!tier.success) throw new UsageError(`set needs a tier (${TIER_NAMES.join(', ')}), got ${rest[0] ?? 'nothing'}\n${FLEET_USAGE}`);
  const flags: Record<string, keyof FleetOverride> = { '--min': 'minWorkers', '--max': 'maxWorkers', '--runs-per-worker': 'runsPerWorker' };
  const change: { [K in keyof FleetOverride]?: number | null } = {};
  let clear = false;
  for (let i = 1; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--clear') {
      clear = true;
      continue;
    }
    const field = flags[arg];
    if (!field) throw new UsageError(`unknown argument ${arg}\n${FLEET_USAGE}`);
    const value = rest[++i];
    if (value === '-') {
      change[field] = null;
      continue;
    }
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 0 || (field === 'runsPerWorker' && n < 1)) {
      throw new UsageError(`${arg} needs a whole number${field === 'runsPerWorker' ? ' ≥ 1' : ' ≥ 0'} (or - to remove it), got ${value ?? 'nothing'}`);
    }
    change[field] = n;
  }
  if (!clear && Object.keys(change).length === 0) throw new UsageError(`set ${tier.data}: give --min, --max, --runs-per-worker or --clear\n${FLEET_USAGE}`);
  return { command: 'set', tier: tier.data, change, clear };
}

/** Applies `set`: returns the override now stored. */
export async function setFleetOverride(params: ParameterStore, env: string, cmd: Extract<FleetCommand, { command: 'set' }>): Promise<FleetOverride> {
  const change = cmd.clear ? { minWorkers: null, maxWorkers: null, runsPerWorker: null, ...cmd.change } : cmd.change;
  return writeFleetOverride(params, env, cmd.tier, change);
}

export interface TierStatus {
  tier: TierName;
  desired: number | null;
  running: number | null;
  pending: number | null;
  busy: number;
  idle: number;
  draining: number;
  backlog: number | null;
  min: number;
  max: number;
  runsPerWorker: number;
  override: FleetOverride | null;
  source: 'ecs' | 'local' | null;
  /** When the dispatcher last wrote this tier's state; null: no dispatcher has run. */
  updatedAt: string | null;
  notes: string[];
}

/** Per tier: what the dispatcher last decided, the live workers' heartbeats, the queue, the overrides. */
export async function fleetStatus(deps: {
  sqs: SQSClient;
  stores: Pick<Stores, 'workers' | 'queues'>;
  params: ParameterStore;
  env: string;
  tiers: TierTable;
  localCap?: number;
}): Promise<TierStatus[]> {
  const { overrides, invalid } = await readFleetOverrides(deps.params, deps.env);
  return Promise.all(
    TIER_NAMES.map(async (tier): Promise<TierStatus> => {
      const bounds = resolveFleetBounds(deps.tiers, tier, overrides[tier], {
        ...(deps.localCap !== undefined ? { localCap: deps.localCap } : {}),
        ...(invalid[tier] ? { invalid: invalid[tier] } : {}),
      });
      const [state, live, backlog] = await Promise.all([
        deps.stores.workers.getFleetState(tier),
        deps.stores.workers.listLive(tier),
        readBacklog(deps.sqs, deps.stores.queues, tier).catch(() => undefined),
      ]);
      const count = (s: string) => live.filter((hb) => hb.state === s).length;
      return {
        tier,
        desired: state?.desired ?? null,
        running: state?.running ?? null,
        pending: state?.pending ?? null,
        busy: count('busy'),
        idle: count('idle'),
        draining: count('draining'),
        backlog: backlog?.total ?? null,
        min: bounds.min,
        max: bounds.max,
        runsPerWorker: bounds.runsPerWorker,
        override: overrides[tier] ?? null,
        source: state?.source ?? null,
        updatedAt: state?.updatedAt ?? null,
        notes: bounds.notes,
      };
    }),
  );
}

/** A fixed-width table of fleetStatus for a terminal. */
export function formatFleetStatus(rows: readonly TierStatus[]): string {
  const header = ['tier', 'desired', 'running', 'pending', 'busy', 'idle', 'backlog', 'min-max', 'per-worker', 'override', 'updated'];
  const dash = (n: number | null) => (n === null ? '-' : String(n));
  const lines = rows.map((r) => [
    r.tier,
    dash(r.desired),
    dash(r.running),
    dash(r.pending),
    String(r.busy),
    String(r.idle),
    dash(r.backlog),
    `${r.min}-${r.max}`,
    String(r.runsPerWorker),
    r.override ? JSON.stringify(r.override) : '-',
    r.updatedAt ?? 'no dispatcher yet',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const notes = rows.flatMap((r) => r.notes.map((n) => `${r.tier}: ${n}`));
  return [fmt(header), ...lines.map(fmt), ...notes].join('\n');
}
