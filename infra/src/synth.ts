// `npm run synth`: writes the AWS stack as Terraform JSON, offline. See docs/deploy.md.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZodError } from 'zod';
import { stackConfigFromEnv } from './stacks/config.js';
import { synthOutpost } from './stacks/synth-app.js';

const infraDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function main(): void {
  const config = stackConfigFromEnv(process.env, process.argv[2] ?? process.env.OUTPOST_STACK_CONFIG);
  const outdir = path.resolve(process.env.OUTPOST_SYNTH_OUT ?? path.join(infraDir, 'cdktf.out'));
  const started = performance.now();
  const { stackName, file } = synthOutpost(config, outdir);
  const ms = Math.round(performance.now() - started);
  process.stdout.write(
    `synthesized stack ${stackName} (env ${config.env}, region ${config.region}) in ${ms} ms\n` +
      `  ${path.relative(process.cwd(), file)}\n` +
      `apply: cd ${path.relative(process.cwd(), path.dirname(file)) || '.'} && terraform init && terraform apply` +
      `${config.certificateArn ? '' : ' -var certificate_arn=arn:aws:acm:…'}\n`,
  );
}

try {
  main();
} catch (err) {
  if (err instanceof ZodError) {
    process.stderr.write(`invalid stack config:\n${err.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}\n`);
  } else {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exitCode = 1;
}
