import prand, { type RandomGenerator } from 'pure-rand';

const SPAN = 2 ** 32;

/**
 * A seeded random stream (xoroshiro128+ from pure-rand), so a simulation is reproducible for a
 * seed. `fork()` gives an independent stream (a 2^64 jump), so one source drawing more values
 * (e.g. a closed-loop tenant under a slower fleet) never shifts another source's draws.
 */
export class Rng {
  private constructor(private gen: RandomGenerator) {}

  static seeded(seed: number): Rng {
    return new Rng(prand.xoroshiro128plus(seed));
  }

  fork(): Rng {
    const jumped = this.gen.jump?.();
    if (!jumped) throw new Error('generator cannot jump');
    // Advance ourselves too, so two forks in a row differ.
    const next = jumped.jump?.();
    if (!next) throw new Error('generator cannot jump');
    this.gen = next;
    return new Rng(jumped);
  }

  /** Uniform in (0, 1): never 0, so logs are finite. */
  uniform(): number {
    const hi = prand.unsafeUniformIntDistribution(0, SPAN - 1, this.gen);
    return (hi + 0.5) / SPAN;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(this.uniform()) * mean;
  }

  /** Standard normal (Box–Muller; one value per call, the twin is dropped for simplicity). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Lognormal with the given median and shape sigma (of the underlying normal). */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
}
