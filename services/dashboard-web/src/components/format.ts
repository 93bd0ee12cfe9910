/** Small display helpers shared by the pages. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatUsd(n: number | undefined): string {
  return n === undefined ? '—' : `$${n.toFixed(4)}`;
}

export function formatTags(tags: Record<string, string> | undefined): string {
  return tags ? Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(', ') : '';
}
