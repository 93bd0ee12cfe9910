import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { FleetResponse } from '../api/client.js';

type Point = FleetResponse['history']['points'][number];

/** Sums the points per minute across tiers: x (epoch s), queue depth, run starts. */
export function seriesOf(points: readonly Point[]): [number[], (number | null)[], number[]] {
  const byMinute = new Map<number, { depth: number | null; starts: number }>();
  for (const p of points) {
    const t = Math.floor(Date.parse(p.at) / 60_000) * 60;
    const slot = byMinute.get(t) ?? { depth: null, starts: 0 };
    // null: the edge was not sampling yet that minute (a gap, not a zero)
    if (p.queueDepth !== null) slot.depth = (slot.depth ?? 0) + p.queueDepth;
    slot.starts += p.runStarts;
    byMinute.set(t, slot);
  }
  const xs = [...byMinute.keys()].sort((a, b) => a - b);
  return [xs, xs.map((x) => byMinute.get(x)?.depth ?? null), xs.map((x) => byMinute.get(x)?.starts ?? 0)];
}

/** Queue depth and run starts over the last hour (uPlot draws on a canvas; sizes via CSSOM). */
export function FleetChart({ points }: { points: readonly Point[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = Math.max(280, Math.min(el.clientWidth || 800, 1100));
    const plot = new uPlot(
      {
        width,
        height: 240,
        series: [
          {},
          { label: 'Queue depth', stroke: '#2563eb', width: 2 },
          { label: 'Run starts', stroke: '#c2410c', width: 2, paths: uPlot.paths.bars?.({ size: [0.6, 12] }) },
        ],
        axes: [{}, { label: 'count' }],
        scales: { x: { time: true } },
      },
      seriesOf(points),
      el,
    );
    const resize = () => plot.setSize({ width: Math.max(280, Math.min(el.clientWidth, 1100)), height: 240 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [points]);
  return (
    <figure className="chart">
      <div ref={host} role="img" aria-label={`Queue depth and run starts over the last hour, ${points.length} samples`} />
      <figcaption>Queue depth and run starts per minute, last hour (all tiers).</figcaption>
    </figure>
  );
}
