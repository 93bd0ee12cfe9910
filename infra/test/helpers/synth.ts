import { Testing } from 'cdktf';
import { OutpostStack } from '../../src/stacks/outpost-stack.js';
import { resolveStackConfig, type StackConfigInput } from '../../src/stacks/config.js';

/** A resource block of the synthesized Terraform JSON (snake_case keys, as Terraform reads them). */
export type TfResource = Record<string, unknown> & { '//'?: unknown };

/** The parsed Terraform JSON of one stack, with lookups the assertions need. */
export class Synthesized {
  constructor(readonly json: { resource: Record<string, Record<string, TfResource>>; variable?: Record<string, unknown> }) {}

  /** Every resource of a Terraform type, keyed by logical id. */
  all(type: string): Record<string, TfResource> {
    return this.json.resource[type] ?? {};
  }

  /** The one resource of `type` whose `field` equals `value`; throws naming what was there. */
  find(type: string, field: string, value: unknown): { id: string; body: TfResource } {
    const hits = Object.entries(this.all(type)).filter(([, body]) => body[field] === value);
    if (hits.length !== 1) {
      const seen = Object.values(this.all(type)).map((b) => b[field]);
      throw new Error(`expected one ${type} with ${field}=${String(value)}, found ${hits.length} among ${JSON.stringify(seen)}`);
    }
    return { id: hits[0]![0], body: hits[0]![1] };
  }

  /** The resource a `${type.id.attr}` reference points at. */
  deref(reference: string): { type: string; id: string; body: TfResource } {
    const m = /^\$\{([a-z0-9_]+)\.([^.]+)\.[a-z_]+\}/.exec(reference);
    if (!m) throw new Error(`not a reference: ${reference}`);
    const body = this.all(m[1]!)[m[2]!];
    if (!body) throw new Error(`dangling reference: ${reference}`);
    return { type: m[1]!, id: m[2]!, body };
  }
}

/** Synthesizes the stack in memory (offline; no provider download). */
export function synthStack(input: StackConfigInput = {}): { synthesized: Synthesized; ms: number } {
  const started = performance.now();
  const app = Testing.app();
  const stack = new OutpostStack(app, 'test', resolveStackConfig(input));
  const text = Testing.synth(stack);
  return { synthesized: new Synthesized(JSON.parse(text) as Synthesized['json']), ms: performance.now() - started };
}
