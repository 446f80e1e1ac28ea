// Timers for very many connections without one JS timer each: an indexed binary min-heap of
// items keyed by deadline. Each item remembers its own slot, so update and remove are O(log n)
// without lazy tombstones. The host asks its Scheduler for one wakeup at `peek()`.

export interface HeapItem {
  /** Deadline in ms; Infinity means "not in the heap". */
  deadline: number;
  /** Slot in the heap array, -1 when absent. Owned by TimerHeap. */
  heapIndex: number;
}

export class TimerHeap<T extends HeapItem> {
  private h: T[] = [];

  get size(): number {
    return this.h.length;
  }

  /** Earliest deadline, Infinity when empty. */
  peekDeadline(): number {
    return this.h.length ? this.h[0].deadline : Infinity;
  }

  peek(): T | undefined {
    return this.h[0];
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.h[item.heapIndex] === item;
  }

  /** Insert, move or (for a non-finite deadline) remove the item. */
  set(item: T, deadline: number): void {
    if (!Number.isFinite(deadline)) {
      this.remove(item);
      item.deadline = Infinity;
      return;
    }
    if (this.has(item)) {
      const old = item.deadline;
      item.deadline = deadline;
      if (deadline < old) this.up(item.heapIndex);
      else if (deadline > old) this.down(item.heapIndex);
      return;
    }
    item.deadline = deadline;
    item.heapIndex = this.h.length;
    this.h.push(item);
    this.up(item.heapIndex);
  }

  remove(item: T): void {
    if (!this.has(item)) {
      item.heapIndex = -1;
      return;
    }
    const i = item.heapIndex;
    const last = this.h.pop()!;
    item.heapIndex = -1;
    if (last !== item) {
      this.h[i] = last;
      last.heapIndex = i;
      this.up(i);
      this.down(last.heapIndex);
    }
  }

  /** Remove and return the earliest item whose deadline is <= now. */
  popDue(now: number): T | undefined {
    const top = this.h[0];
    if (!top || top.deadline > now) return undefined;
    this.remove(top);
    return top;
  }

  clear(): void {
    for (const it of this.h) it.heapIndex = -1;
    this.h = [];
  }

  private up(i: number): void {
    const h = this.h;
    const it = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].deadline <= it.deadline) break;
      h[i] = h[p];
      h[i].heapIndex = i;
      i = p;
    }
    h[i] = it;
    it.heapIndex = i;
  }

  private down(i: number): void {
    const h = this.h;
    const n = h.length;
    const it = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r].deadline < h[l].deadline ? r : l;
      if (h[c].deadline >= it.deadline) break;
      h[i] = h[c];
      h[i].heapIndex = i;
      i = c;
    }
    h[i] = it;
    it.heapIndex = i;
  }
}
