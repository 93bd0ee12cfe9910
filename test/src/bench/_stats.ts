/** Throughput and latency of one benchmark phase (latencies in ms). */
export interface Stats {
  ops: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
}

export const round = (n: number) => Math.round(n * 100) / 100;

/** Runs `op` `perWorker` times in each of `concurrency` loops and reports throughput and latency. */
export async function measure(concurrency: number, perWorker: number, op: (worker: number, i: number) => Promise<unknown>): Promise<Stats> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; i < perWorker; i++) {
        const t0 = performance.now();
        await op(w, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { ops: latencies.length, seconds: round(seconds), throughput: round(latencies.length / seconds), p50: round(q(0.5)), p99: round(q(0.99)) };
}
