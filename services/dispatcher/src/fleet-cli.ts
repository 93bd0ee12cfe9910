import { createAwsClients, exitCodeOf, openStores } from '@outpost/shared';
import { loadDispatcherConfig } from './config.js';
import { fleetStatus, formatFleetStatus, parseFleetArgs, setFleetOverride } from './fleet-admin.js';
import { withLocalEndpoints } from '@outpost/shared';
import { openFleetParams } from './runtime.js';

/** `npm run fleet -- set pro --min 1 --max 8` / `npm run fleet -- status`. */
async function cli(argv: string[]): Promise<number> {
  const cmd = parseFleetArgs(argv);
  const config = loadDispatcherConfig(withLocalEndpoints(process.env));
  const params = openFleetParams(config);
  if (cmd.command === 'set') {
    const stored = await setFleetOverride(params, config.env, cmd);
    process.stdout.write(`${cmd.tier}: override ${JSON.stringify(stored)} (applies at the dispatcher's next tick)\n`);
    return 0;
  }
  const clients = createAwsClients(config);
  try {
    const rows = await fleetStatus({
      sqs: clients.sqs,
      stores: openStores(config, clients),
      params,
      env: config.env,
      tiers: config.tiers,
      ...(config.mode === 'local' ? { localCap: config.localMaxWorkers } : {}),
    });
    process.stdout.write(`${cmd.json ? JSON.stringify(rows, null, 2) : formatFleetStatus(rows)}\n`);
    return 0;
  } finally {
    clients.destroy();
  }
}

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A usage or configuration mistake (exit 2) prints its message only; anything else its stack.
    const known = exitCodeOf(err) === 2 || err instanceof RangeError;
    if (!known && /ECONNREFUSED/.test(`${(err as { code?: string }).code ?? ''} ${String(err)}`)) {
      process.stderr.write(`${String(err)}\nis the local stack running (npm start)? set OUTPOST_*_ENDPOINT if it uses other ports\n`);
      process.exit(1);
    }
    process.stderr.write(`${known ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(known ? 2 : 1);
  },
);
