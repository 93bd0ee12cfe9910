import type { Sample } from './engine.js';

/**
 * A minimal SVG line chart of one simulation: queue depth and workers over time (hours). No plot
 * library is installed in the repo, and a line chart is a handful of elements; the output is
 * deterministic text, so a chart diffs in review like the table next to it.
 */
export interface Series {
  label: string;
  color: string;
  values: readonly number[];
}

const W = 720;
const H = 260;
const PAD = { left: 48, right: 16, top: 28, bottom: 36 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function lineChart(title: string, hours: readonly number[], series: readonly Series[], fixedMax?: number): string {
  const tMax = Math.max(1e-9, ...hours);
  const yMax = Math.max(1, fixedMax ?? 0, ...series.flatMap((s) => s.values));
  const x = (t: number) => PAD.left + (t / tMax) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PAD.left}" y="16" font-size="13">${esc(title)}</text>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${W - PAD.right}" y2="${y(0)}" stroke="#888"/>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${PAD.left}" y2="${PAD.top}" stroke="#888"/>`,
  ];
  for (const v of [0, yMax / 2, yMax]) {
    out.push(`<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`);
  }
  const step = tMax > 12 ? 4 : 1;
  for (let t = 0; t <= tMax + 1e-9; t += step) {
    out.push(`<text x="${x(t).toFixed(1)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${t}h</text>`);
  }
  if (fixedMax !== undefined) {
    out.push(`<line x1="${PAD.left}" y1="${y(fixedMax)}" x2="${W - PAD.right}" y2="${y(fixedMax)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
  }
  series.forEach((s, i) => {
    const pts = s.values.map((v, k) => `${x(hours[k] ?? 0).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.4" points="${pts}"/>`);
    const lx = PAD.left + 10 + i * 150;
    out.push(`<rect x="${lx}" y="${H - 14}" width="10" height="3" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 14}" y="${H - 10}">${esc(s.label)}</text>`);
  });
  if (fixedMax !== undefined) out.push(`<text x="${W - PAD.right}" y="${y(fixedMax) - 4}" text-anchor="end" fill="#888">max workers</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The chart of a policy-fleet run: queue depth, billed workers, busy workers. */
export function samplesChart(title: string, samples: readonly Sample[], maxWorkers: number): string {
  const hours = samples.map((s) => s.t / 3_600_000);
  return lineChart(
    title,
    hours,
    [
      { label: 'queue depth', color: '#d62728', values: samples.map((s) => s.queued) },
      { label: 'workers (billed)', color: '#1f77b4', values: samples.map((s) => s.workers) },
      { label: 'runs executing', color: '#2ca02c', values: samples.map((s) => s.busy) },
    ],
    maxWorkers,
  );
}
