import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'cdktf';
import type { ResolvedStackConfig } from './config.js';
import { OutpostStack } from './outpost-stack.js';

/** Where a synth wrote its Terraform JSON. */
export interface SynthResult {
  stackName: string;
  /** `{outdir}/stacks/{stackName}/cdk.tf.json` */
  file: string;
}

/** Synthesizes the stack of `config` into `outdir` (offline: no provider or network is needed). */
export function synthOutpost(config: ResolvedStackConfig, outdir: string): SynthResult {
  const app = new App({ outdir, skipValidation: false });
  const stackName = config.prefix;
  new OutpostStack(app, stackName, config);
  app.synth();
  const file = path.join(outdir, 'stacks', stackName, 'cdk.tf.json');
  JSON.parse(readFileSync(file, 'utf8'));
  return { stackName, file };
}
