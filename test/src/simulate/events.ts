/**
 * The simulation's event queue: a binary min-heap on (time, kind order, insertion order), so two
 * events at the same virtual millisecond always run in the same order and a seed replays exactly.
 * At one instant: finishes free slots before crashes, starts and arrivals take them, and the
 * dispatcher's tick sees the result.
 */
export const EVENT_ORDER = { finish: 0, crash: 1, ready: 2, arrive: 3, tick: 4, sample: 5 } as const;
export type EventKind = keyof typeof EVENT_ORDER;

interface Entry<E> {
  at: number;
  order: number;
  seq: number;
  event: E;
}

export class EventQueue<E extends { kind: EventKind }> {
  private readonly heap: Entry<E>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, event: E): void {
    this.heap.push({ at, order: EVENT_ORDER[event.kind], seq: this.seq++, event });
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { at: number; event: E } | undefined {
    const top = this.heap[0];
    if (!top) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.less(l, m)) m = l;
        if (r < this.heap.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return { at: top.at, event: top.event };
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.at !== y.at ? x.at < y.at : x.order !== y.order ? x.order < y.order : x.seq < y.seq;
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a]!;
    this.heap[a] = this.heap[b]!;
    this.heap[b] = t;
  }
}
